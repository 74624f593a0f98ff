//! permanence: the shift terminal of a French helpline's volunteer listeners.
//! See ARCHITECTURE.md for the map of the modules and what each may not touch.

pub mod app;
pub mod atomic_file;
pub mod bounded_read;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod hardening;
pub mod i18n;
pub mod keymap;
pub mod last_login;
pub mod local_time;
pub mod messages;
pub mod output_path;
pub mod passphrase_input;
pub mod paths;
pub mod phone;
pub mod printable;
pub mod runner;
pub mod store;
pub mod terminal;
#[doc(hidden)]
pub mod test_support;
pub mod ui;
