// Replaced by the FUSE server sources.
