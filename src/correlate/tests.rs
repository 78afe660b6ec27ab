//! Correlation driven by real log lines (parsed by the real stages).
