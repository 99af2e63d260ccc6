//! Bounds on the work of one verification. Signature checks are the costly step, and a crafted
//! bundle (thousands of CAs of one name) would otherwise make the search for issuers
//! quadratic: names are compared first, which is free, and signatures only while the budget
//! lasts.

use crate::chain::Cert;

/// Signature checks the explanation may spend on finding issuers in one verification. A real
/// chain needs one per link, cross-signed roots a few more.
pub(crate) const MAX_SIGNATURE_CHECKS: usize = 64;

/// What is left of the signature checks of one verification.
pub(crate) struct Budget {
    left: usize,
    /// A check was refused because the budget was spent.
    pub exhausted: bool,
}

impl Budget {
    pub fn new() -> Budget {
        Budget {
            left: MAX_SIGNATURE_CHECKS,
            exhausted: false,
        }
    }

    /// Whether `issuer` issued `child`: by name (and key identifier) first, then by signature
    /// while checks are left. None when the name matches but the budget is spent.
    pub fn issued(&mut self, child: &Cert, issuer: &Cert) -> Option<bool> {
        if !child.names_issuer(issuer) {
            return Some(false);
        }
        if self.left == 0 {
            self.exhausted = true;
            return None;
        }
        self.left -= 1;
        Some(child.signature_check(issuer).is_ok())
    }
}
