//! Tests against real peers: openssl s_server, mosquitto, and hostile sockets.
