// Nodes per label and relationships per type, with the local store's meaning
// (ringwatch.graph.local_store.LocalStore.counts): a node counts when a snapshot table made it.
// Table rows carry their required time (registered_at, placed_at, ...); account, agency and
// identifier nodes count while a snapshot relationship names them, so neither a placeholder
// MERGEd for a ring member nor a seller, buyer or agency left behind by an in-place update counts.
RETURN
  COUNT { MATCH (n:Creator) WHERE n.registered_at IS NOT NULL } AS Creator,
  COUNT { MATCH (n:Shop) WHERE n.registered_at IS NOT NULL } AS Shop,
  COUNT { MATCH (n:Seller) WHERE EXISTS { (n)-[:OWNS|USES]->() } } AS Seller,
  COUNT { MATCH (n:Buyer) WHERE EXISTS { (n)-[:PLACED|USES]->() } } AS Buyer,
  COUNT { MATCH (n:Order) WHERE n.placed_at IS NOT NULL } AS Order,
  COUNT { MATCH (n:Commission) WHERE n.created_at IS NOT NULL } AS Commission,
  COUNT { MATCH (n:Agency) WHERE EXISTS { (n)<-[:MEMBER_OF]-() } } AS Agency,
  // for each identifier type:
  COUNT { MATCH (n:{label}) WHERE EXISTS { (n)<-[:USES]-() } } AS {label},
  // end for
  COUNT { MATCH (n:Violation) } AS Violation,
  COUNT { MATCH (n:AllowlistEntry) } AS AllowlistEntry,
  COUNT { MATCH ()-[r:OWNS]->() } AS OWNS,
  COUNT { MATCH ()-[r:USES]->() } AS USES,
  COUNT { MATCH ()-[r:PLACED]->() } AS PLACED,
  COUNT { MATCH ()-[r:FROM]->() } AS FROM,
  COUNT { MATCH ()-[r:ATTRIBUTED_TO]->() } AS ATTRIBUTED_TO,
  COUNT { MATCH ()-[r:EARNED]->() } AS EARNED,
  COUNT { MATCH ()-[r:FOR]->() } AS FOR,
  COUNT { MATCH ()-[r:PROMOTES]->() } AS PROMOTES,
  COUNT { MATCH ()-[r:MEMBER_OF]->() } AS MEMBER_OF,
  COUNT { MATCH ()-[r:COMMITTED]->() } AS COMMITTED
