//! The stacks' own error tables, generated from their sources at pinned versions by
//! `tools/explain-tables/extract.py` and committed in `tables/*.tsv` (never edited by hand).
//!
//! A table is tab-separated lines:
//!
//! ```text
//! # comments; one of them: `# rows-sha256: HEX`, the SHA-256 of every other line
//! source  ID  OWNER/REPO  REF  COMMIT  PATH  SHA256
//! row     SOURCE-ID  STACK  NAME  NUMBERS  FAMILY  [TEXT...]
//! ```
//!
//! `SHA256` is the digest of the input read (the file at `COMMIT`; `COMMIT` is `-` for a
//! release read from its installed headers and libraries, pinned by `REF`); `NUMBERS` are the codes as the
//! stack prints them, comma-separated (`-` when none); every `TEXT` a way the message reads (none
//! when an earlier row owns every text of the message: the row is known by its name).

/// The tables as shipped: (file name, text).
pub const TABLES: &[(&str, &str)] = &[
    ("aws-crt.tsv", include_str!("tables/aws-crt.tsv")),
    ("mbedtls.tsv", include_str!("tables/mbedtls.tsv")),
    ("openssl.tsv", include_str!("tables/openssl.tsv")),
    ("mqtt.tsv", include_str!("tables/mqtt.tsv")),
    ("errno.tsv", include_str!("tables/errno.tsv")),
    ("esp-idf.tsv", include_str!("tables/esp-idf.tsv")),
    ("coremqtt.tsv", include_str!("tables/coremqtt.tsv")),
    ("curl.tsv", include_str!("tables/curl.tsv")),
    ("mosquitto.tsv", include_str!("tables/mosquitto.tsv")),
    (
        "aws-iot-sdk-v3.tsv",
        include_str!("tables/aws-iot-sdk-v3.tsv"),
    ),
    ("paho-c.tsv", include_str!("tables/paho-c.tsv")),
    ("paho-python.tsv", include_str!("tables/paho-python.tsv")),
    ("paho-java.tsv", include_str!("tables/paho-java.tsv")),
    ("node.tsv", include_str!("tables/node.tsv")),
    ("java.tsv", include_str!("tables/java.tsv")),
    ("mbedtls-2.tsv", include_str!("tables/mbedtls-2.tsv")),
    (
        "device-client.tsv",
        include_str!("tables/device-client.tsv"),
    ),
    ("greengrass.tsv", include_str!("tables/greengrass.tsv")),
    ("esp-mqtt.tsv", include_str!("tables/esp-mqtt.tsv")),
    ("mqttjs.tsv", include_str!("tables/mqttjs.tsv")),
];

/// Where rows came from: a file of a repository at a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    pub id: String,
    pub repository: String,
    /// The tag or branch it was read at, for people; the commit pins it.
    pub reference: String,
    pub commit: String,
    pub path: String,
    pub sha256: String,
}

impl Source {
    /// The file at its commit (or, for a release read from its installed files, its tag), on
    /// GitHub.
    pub fn url(&self) -> String {
        let at = if self.commit == "-" {
            &self.reference
        } else {
            &self.commit
        };
        format!(
            "https://github.com/{}/blob/{at}/{}",
            self.repository, self.path
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Index into [`Table::sources`].
    pub source: usize,
    pub stack: String,
    pub name: String,
    pub numbers: Vec<String>,
    pub family: String,
    pub texts: Vec<String>,
}

#[derive(Debug)]
pub struct Table {
    pub file: String,
    pub sources: Vec<Source>,
    pub rows: Vec<Row>,
    /// The digest the table declares (`# rows-sha256:`).
    pub declared_digest: Option<String>,
}

impl Table {
    /// Parses a table; names the line of the first thing wrong.
    pub fn parse(file: &str, text: &str) -> Result<Table, String> {
        let mut table = Table {
            file: file.to_string(),
            sources: Vec::new(),
            rows: Vec::new(),
            declared_digest: None,
        };
        for (number, line) in text.lines().enumerate() {
            let at = || format!("{file}:{}", number + 1);
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(digest) = comment.trim().strip_prefix("rows-sha256:") {
                    table.declared_digest = Some(digest.trim().to_string());
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            match fields[0] {
                "source" if fields.len() == 7 => table.sources.push(Source {
                    id: fields[1].to_string(),
                    repository: fields[2].to_string(),
                    reference: fields[3].to_string(),
                    commit: fields[4].to_string(),
                    path: fields[5].to_string(),
                    sha256: fields[6].to_string(),
                }),
                "row" if fields.len() >= 6 => {
                    let source = table
                        .sources
                        .iter()
                        .position(|s| s.id == fields[1])
                        .ok_or_else(|| format!("{}: unknown source {:?}", at(), fields[1]))?;
                    let numbers = match fields[4] {
                        "-" => Vec::new(),
                        list => list.split(',').map(str::to_string).collect(),
                    };
                    table.rows.push(Row {
                        source,
                        stack: fields[2].to_string(),
                        name: fields[3].to_string(),
                        numbers,
                        family: fields[5].to_string(),
                        texts: fields[6..]
                            .iter()
                            .filter(|t| !t.is_empty())
                            .map(|t| t.to_string())
                            .collect(),
                    });
                }
                _ => return Err(format!("{}: not a source or row line", at())),
            }
        }
        Ok(table)
    }

    /// The SHA-256 of the table's lines that are not comments, each with its newline.
    pub fn digest(text: &str) -> String {
        let mut context = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            context.update(line.as_bytes());
            context.update(b"\n");
        }
        hex::encode(context.finish().as_ref())
    }
}

/// The shipped tables, parsed.
pub fn shipped() -> Result<Vec<Table>, String> {
    TABLES
        .iter()
        .map(|(file, text)| Table::parse(file, text))
        .collect()
}
