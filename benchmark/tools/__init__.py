"""One-off commands over the same parts: speed, judge report and fit, diagnostics, builders, attacks."""
