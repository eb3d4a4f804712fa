// Placeholder from branch `infra`; replaced by the real crate on main.
