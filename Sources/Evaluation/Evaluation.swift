// The Evaluation module; see ../shared/ARCHITECTURE.md for what it owns.
