//! One module per command.

pub(crate) mod rules;
pub(crate) mod scan;
