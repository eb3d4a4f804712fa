//! acm — real-time call-masking detection (pipeline branch skeleton; main owns the real one).
pub mod pipeline;
pub mod report;
