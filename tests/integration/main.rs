//! One integration test binary: every test drives the real `msv` executable.

mod support;

mod build;
mod build_context;
mod buildkit;
mod cli;
mod config;
mod deploy;
mod dockerfiles;
mod engines;
mod environment;
mod fake_api;
mod generated;
mod install;
mod logs;
mod new;
mod pty;
mod push;
mod realk8s;
mod status;
mod templates;
mod traces;
mod traffic;
mod update;
mod workspace_images;
