// Upsert a batch of rings, keyed by ring_id, and replace each ring's HAS_MEMBER relationships
// with ones to its current members: an existing node of the member's label and id, else a new one.
// $rings: [{props: {ring_id, kind, score, status, first_detected, last_run_id, doc},
//           members: [{type, id}]}]   (member types are docs/contract.md section 2's)
UNWIND $rings AS ring
MERGE (g:Ring {ring_id: ring.props.ring_id})
SET g = ring.props
WITH g, ring
CALL (g) {
  MATCH (g)-[old:HAS_MEMBER]->()
  DELETE old
}
WITH g, ring
UNWIND ring.members AS member
CALL (member) {
  WITH member WHERE member.type = 'creator'
  MERGE (node:Creator {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'shop'
  MERGE (node:Shop {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'seller'
  MERGE (node:Seller {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'buyer'
  MERGE (node:Buyer {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'device'
  MERGE (node:Device {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'ip'
  MERGE (node:IP {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'payout_account'
  MERGE (node:PayoutAccount {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'phone'
  MERGE (node:Phone {id: member.id}) RETURN node
  UNION ALL
  WITH member WHERE member.type = 'email'
  MERGE (node:Email {id: member.id}) RETURN node
}
MERGE (g)-[:HAS_MEMBER]->(node)
