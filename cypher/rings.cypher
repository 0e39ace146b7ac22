// Every recorded ring's latest document (JSON), highest score first; the store orders
// ties by commission at stake in Python (ringwatch.domain.queue), as the local store does.
MATCH (g:Ring)
RETURN g.doc AS doc
ORDER BY g.score DESC, g.ring_id
