// Every recorded ring's latest document (JSON), highest score first.
MATCH (g:Ring)
RETURN g.doc AS doc
ORDER BY g.score DESC, g.ring_id
