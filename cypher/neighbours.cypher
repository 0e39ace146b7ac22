// The neighbours of a frontier of nodes, for GraphStore.neighbourhood: identifiers and the
// accounts using them (USES), sellers and their shops (OWNS), creators and the shops of orders
// attributed to them (TRADES), buyers and the shops and creators of their orders (BOUGHT).
// Each part returns at most $first neighbours of a node, the first by type then id: a hub (a
// carrier NAT IP used by thousands of buyers, a shop with a million orders) is read once with a
// top-$first heap, never handed back whole. Python merges the parts and takes the first again.
// $nodes: [{type, id}] (type: an account or identifier type), $first: int
UNWIND $nodes AS node
CALL (node) {
  // for each member type, joined by UNION ALL:
  WITH node WHERE node.type = '{type}'
  MATCH (n:{label} {id: node.id}) RETURN n
  // end for
}
CALL (node, n) {
  // an account's identifiers
  WITH node, n WHERE node.type IN [
    // for each linked account type, joined by ,:
    '{type}'
    // end for
  ]
  MATCH (n)-[:USES]->(m)
  WITH CASE
         // for each identifier type:
         WHEN m:{label} THEN '{type}'
         // end for
       END AS type, m.id AS id
  RETURN type, id ORDER BY type, id LIMIT $first
  UNION ALL
  // an identifier's accounts
  WITH node, n WHERE node.type IN [
    // for each identifier type, joined by ,:
    '{type}'
    // end for
  ]
  MATCH (n)<-[:USES]-(m)
  WITH CASE
         // for each linked account type:
         WHEN m:{label} THEN '{type}'
         // end for
       END AS type, m.id AS id
  RETURN type, id ORDER BY type, id LIMIT $first
  UNION ALL
  // a seller's shops
  WITH node, n WHERE node.type = 'seller'
  MATCH (n)-[:OWNS]->(m:Shop)
  RETURN 'shop' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a shop's seller
  WITH node, n WHERE node.type = 'shop'
  MATCH (n)<-[:OWNS]-(m:Seller)
  RETURN 'seller' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a creator's shops (attributed orders)
  WITH node, n WHERE node.type = 'creator'
  MATCH (n)<-[:ATTRIBUTED_TO]-(:Order)-[:FROM]->(m:Shop)
  WITH DISTINCT m
  RETURN 'shop' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a creator's buyers (attributed orders)
  WITH node, n WHERE node.type = 'creator'
  MATCH (n)<-[:ATTRIBUTED_TO]-(:Order)<-[:PLACED]-(m:Buyer)
  WITH DISTINCT m
  RETURN 'buyer' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a shop's creators (attributed orders)
  WITH node, n WHERE node.type = 'shop'
  MATCH (n)<-[:FROM]-(:Order)-[:ATTRIBUTED_TO]->(m:Creator)
  WITH DISTINCT m
  RETURN 'creator' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a shop's buyers
  WITH node, n WHERE node.type = 'shop'
  MATCH (n)<-[:FROM]-(:Order)<-[:PLACED]-(m:Buyer)
  WITH DISTINCT m
  RETURN 'buyer' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a buyer's shops
  WITH node, n WHERE node.type = 'buyer'
  MATCH (n)-[:PLACED]->(:Order)-[:FROM]->(m:Shop)
  WITH DISTINCT m
  RETURN 'shop' AS type, m.id AS id ORDER BY id LIMIT $first
  UNION ALL
  // a buyer's creators (attributed orders)
  WITH node, n WHERE node.type = 'buyer'
  MATCH (n)-[:PLACED]->(:Order)-[:ATTRIBUTED_TO]->(m:Creator)
  WITH DISTINCT m
  RETURN 'creator' AS type, m.id AS id ORDER BY id LIMIT $first
}
RETURN node.type AS from_type, node.id AS from_id, type, id
