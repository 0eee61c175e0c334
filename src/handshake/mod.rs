//! The opening handshake (RFC 6455 §4): the client's request, the server's answer.

pub(crate) mod client;
pub(crate) mod headers;
pub(crate) mod opening;
pub(crate) mod server;
