// Table read for the projections (ringwatch.graph.neo4j_projections): each order's shop
// (FROM), by the order's internal id, as one row of columns (lists).
MATCH (o)-[:FROM]->(shop:Shop)
RETURN collect(id(o)) AS order_id,
       collect(shop.id) AS shop_id
