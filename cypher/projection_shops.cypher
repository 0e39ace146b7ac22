// Projection `shops` (ringwatch.graph.projections): one row per shop with its seller.
// Times as epoch milliseconds.
MATCH (s:Shop)
WHERE s.registered_at IS NOT NULL
OPTIONAL MATCH (seller:Seller)-[:OWNS]->(s)
RETURN s.id AS shop_id,
       seller.id AS seller_id,
       s.registered_at.epochMillis AS registered_at_ms,
       s.category AS category
