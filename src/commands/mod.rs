//! (foundation)
