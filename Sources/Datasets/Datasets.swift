// The Datasets module; see ../shared/ARCHITECTURE.md for what it owns.
