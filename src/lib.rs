//! msv: scaffold, build, deploy (blue-green) and observe microservices.
//!
//! The binary in `main.rs` is a thin shell around [`run`]; every concern lives in its
//! own module so that commands can share it.

pub mod analysis;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod deploy;
pub mod exit;
pub mod health;
pub mod image;
pub mod interrupt;
pub mod logs;
pub mod name;
pub mod output;
pub mod scaffold;
pub mod status;
pub mod traces;
