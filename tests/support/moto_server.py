"""Starts moto's server with AWS IoT certificate ids computed from the DER, as AWS does.

moto's server takes that setting only from its in-process configuration (the
MOTO_IOT_USE_VALID_CERT variable is not read by every version), so it is set here first.
Arguments are moto_server's: -H 127.0.0.1 -p PORT.
"""

from moto.core.config import default_user_config
from moto.server import main

default_user_config["iot"]["use_valid_cert"] = True
main()
