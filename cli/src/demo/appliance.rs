//! Filled in when the line's rules land.

use anyhow::Result;

use super::Session;

pub fn visit(s: &mut Session) -> Result<()> {
    super::property::visit(s)
}
