// `ringwatch detect`: the parts of projection $projection kept under $key (keep_projection.cypher), in
// order. The reader joins them when it has every part; otherwise it computes the projection from
// the snapshot's tables.
MATCH (p:KeptProjection {key: $key, name: $projection})
RETURN p.part AS part, p.parts AS parts, p.data AS data
ORDER BY part
