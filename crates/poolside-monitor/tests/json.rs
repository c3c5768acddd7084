//! JSON export through serde.
