//! Container images through the Docker Engine API: the build context (`.dockerignore`,
//! streamed tar), building and tagging, pushing with the docker CLI's credentials, and
//! the record of the last built and pushed image in the service's `.msv/` directory.
//!
//! It does not know about the command line: commands hand it requests and read back
//! what was built or pushed. [`build()`] and [`push()`] are what other commands use.

pub mod auth;
pub mod build;
pub mod buildkit;
mod classic;
pub mod context;
pub mod dockerfile;
pub mod dockerignore;
pub mod engine;
pub mod explain;
mod glob;
mod goregex;
mod log;
pub mod push;
pub mod record;
pub mod reference;
pub mod transport;

pub use build::{BuildRequest, Builder, BuiltImage, build};
pub use push::{PushRequest, PushedImage, push};
