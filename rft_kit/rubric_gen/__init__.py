"""``rft rubric generate``: per-item rubrics written by a model from a reference answer or a source document,
filtered and self-checked (:mod:`.run`)."""
