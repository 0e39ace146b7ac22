// Table read for the projections (ringwatch.graph.neo4j_projections): each order's buyer
// (PLACED), by the order's internal id, as one row of columns (lists).
MATCH (buyer:Buyer)-[:PLACED]->(o)
RETURN collect(id(o)) AS order_id,
       collect(buyer.id) AS buyer_id
