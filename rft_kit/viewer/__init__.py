"""``rft view``: a local web app to read, label and compare run folders (DESIGN.md section 7, issue 17).

The modules split by job: :mod:`.tail` reads JSONL files that may still be growing, :mod:`.index` keeps one in-memory
column index per run, :mod:`.queries` turns filter parameters into index selections, :mod:`.labels` validates and
stores human verdicts (and turns them into golden cases), :mod:`.catalog` finds run folders and their baselines, and
:mod:`.app` builds the starlette application. Only :mod:`.app` imports starlette, so ``import rft_kit`` (and
``rft calibrate``, which reads labels through :mod:`.labels`) works without the ``viewer`` extra.
"""
