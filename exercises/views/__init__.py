"""The runtime app's pages (split by who uses them in the next commit)."""
