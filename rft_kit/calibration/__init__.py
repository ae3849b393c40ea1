"""Judge calibration: agreement statistics with human labels (:mod:`.agreement`) and running a grader against
labelled rows (:mod:`.run`)."""
