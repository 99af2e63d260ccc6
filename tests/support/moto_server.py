"""Starts moto's server with AWS IoT certificate ids computed from the DER, as AWS does.

moto's server takes that setting only from its in-process configuration (the
MOTO_IOT_USE_VALID_CERT variable is not read by every version), so it is set here first.
Arguments are moto_server's: -H 127.0.0.1 -p PORT.

moto 5.2.1 keeps none of what CreateDomainConfiguration is given beyond the name, domain,
server certificates, authorizer and service type: its DescribeDomainConfiguration leaves out
authenticationType, applicationProtocol, tlsConfig and serverCertificateConfig. Here a
configuration keeps those four as they were given and describes them back, as AWS does
(CreateDomainConfiguration and DescribeDomainConfiguration in the AWS IoT API reference); a
configuration created without them is described without them, as moto does.

With MOTO_EXIT_AT_EOF=1 the server ends when its standard input ends: a server shared by the
tests of a module lives as long as the test process that holds the other end of that pipe,
however that process ends.
"""

import os
import sys
import threading

from moto.core.config import default_user_config
from moto.iot import models, responses
from moto.server import main

default_user_config["iot"]["use_valid_cert"] = True

KEPT = ("authenticationType", "applicationProtocol", "tlsConfig", "serverCertificateConfig")
_create = responses.IoTResponse.create_domain_configuration
_describe = models.FakeDomainConfiguration.to_description_dict


def create_domain_configuration(self):
    answer = _create(self)
    name = self._get_param("domainConfigurationName")
    configuration = self.iot_backend.domain_configurations[name]
    configuration.kept = {
        key: self._get_param(key) for key in KEPT if self._get_param(key) is not None
    }
    return answer


def to_description_dict(self):
    description = _describe(self)
    description.update(getattr(self, "kept", {}))
    return description


def exit_at_eof():
    sys.stdin.buffer.read()
    os._exit(0)


if os.environ.get("MOTO_EXIT_AT_EOF") == "1":
    threading.Thread(target=exit_at_eof, daemon=True).start()

responses.IoTResponse.create_domain_configuration = create_domain_configuration
models.FakeDomainConfiguration.to_description_dict = to_description_dict
main()
