// Every recorded run's document (JSON), in the order the runs were saved.
MATCH (run:Run)
RETURN run.doc AS doc
ORDER BY run.seq
