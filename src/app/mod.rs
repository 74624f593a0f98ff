pub mod action;
pub mod call_form;
pub mod keymap;
