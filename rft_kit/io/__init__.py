"""File formats: JSONL streaming."""
