//! Recipient computation: every TLP × every kind of distribution, relays, retractions,
//! downgrades, and a property test that AMBER+STRICT and RED never leave the named organisations.
mod common;
use atalaya_federation::*;
use atalaya_model::Tlp;
use common::*;
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;

fn node(n: u8) -> NodeId {
    NodeId::from_verifying_key(&SigningKey::from_bytes(&[n; 32]).verifying_key())
}

/// The peers of the origin, by label.
fn peers() -> (Vec<PeerInfo>, BTreeMap<&'static str, NodeId>) {
    let owner = PeerInfo::new(node(1), Some(cc("UY")), vec![org(1)], vec![group(1)]);
    let p_org = PeerInfo::new(node(2), Some(cc("AR")), vec![org(2)], vec![]);
    let p_state = PeerInfo::new(node(3), Some(cc("BR")), vec![org(3)], vec![]);
    let p_group = PeerInfo::new(node(4), Some(cc("CL")), vec![org(4)], vec![group(1)]);
    let p_user = PeerInfo::new(node(5), Some(cc("MX")), vec![org(5)], vec![]);
    let p_none = PeerInfo::new(node(6), Some(cc("US")), vec![org(6)], vec![]);
    // A hub hosting nothing itself, relaying for a node of Peru hosting org 7 (group 2).
    let hub = PeerInfo {
        node: node(7),
        country: None,
        orgs: vec![],
        groups: vec![],
        relays_for: vec![RelayedNode { node: Some(node(8)), country: Some(cc("PE")), orgs: vec![org(7)], groups: vec![group(2)] }],
    };
    let labels = BTreeMap::from([
        ("owner", node(1)),
        ("org", node(2)),
        ("state", node(3)),
        ("group", node(4)),
        ("user", node(5)),
        ("none", node(6)),
        ("hub", node(7)),
    ]);
    (vec![owner, p_org, p_state, p_group, p_user, p_none, hub], labels)
}

fn distributions() -> Vec<(&'static str, Distribution)> {
    vec![
        ("own_org", Distribution::own_org()),
        ("orgs", Distribution::orgs([org(2), org(7), org(1)])),
        ("states", Distribution::states([cc("BR"), cc("PE"), cc("UY")])),
        ("groups", Distribution::groups([group(1)])),
        ("network", Distribution::network()),
        ("named_users", Distribution::named_users([NamedUser { org: org(5), user: user(1) }, NamedUser { org: org(1), user: user(2) }])),
        (
            "everything",
            Distribution {
                organisations: vec![org(2)],
                states: vec![cc("BR")],
                groups: vec![group(1)],
                network: true,
                named_users: vec![NamedUser { org: org(5), user: user(1) }],
            },
        ),
    ]
}

/// Expected recipients by (TLP class, distribution).
fn expected(tlp: Tlp, dist: &str) -> Vec<&'static str> {
    let all_but_owner = vec!["org", "state", "group", "user", "none", "hub"];
    match (tlp, dist) {
        (_, "own_org") => vec![],
        (Tlp::Clear | Tlp::Green | Tlp::Amber, "orgs") => vec!["org", "hub"],
        (Tlp::Clear | Tlp::Green | Tlp::Amber, "states") => vec!["state", "hub"],
        (Tlp::Clear | Tlp::Green | Tlp::Amber, "groups") => vec!["group"],
        (Tlp::Clear | Tlp::Green | Tlp::Amber, "network" | "everything") => all_but_owner,
        (Tlp::Clear | Tlp::Green | Tlp::Amber, "named_users") => vec![],
        (Tlp::AmberStrict, "orgs") => vec!["org", "hub"],
        (Tlp::AmberStrict, "everything") => vec!["org"],
        (Tlp::AmberStrict, _) => vec![],
        (Tlp::Red, "named_users" | "everything") => vec!["user"],
        (Tlp::Red, _) => vec![],
        _ => unreachable!(),
    }
}

#[test]
fn every_tlp_times_every_distribution() {
    let (peers, labels) = peers();
    let mut checked = 0;
    for tlp in Tlp::ALL {
        for (name, dist) in distributions() {
            let meta = ItemMeta { tlp, owner_org: org(1), distribution: dist };
            let got = recipients(&meta, &peers);
            let mut want: Vec<NodeId> = expected(tlp, name).into_iter().map(|l| labels[l].clone()).collect();
            want.sort();
            assert_eq!(got, want, "{tlp} × {name}");
            for p in &peers {
                assert_eq!(is_recipient(&meta, p), got.contains(&p.node), "{tlp} × {name}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 5 * 7);
}

#[test]
fn result_is_sorted_and_deduplicated() {
    let (mut peers, _) = peers();
    peers.push(peers[1].clone());
    peers.reverse();
    let got = recipients(&ItemMeta { tlp: Tlp::Green, owner_org: org(1), distribution: Distribution::network() }, &peers);
    let mut sorted = got.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(got, sorted);
    assert_eq!(got.len(), 6);
}

#[test]
fn directory_entries_go_network_wide_up_to_amber_only() {
    let (peers, _) = peers();
    for tlp in Tlp::ALL {
        let meta = ItemMeta { tlp, owner_org: org(1), distribution: Distribution::network() };
        let n = recipients(&meta, &peers).len();
        assert_eq!(n, if tlp <= Tlp::Amber { 6 } else { 0 }, "{tlp}");
    }
}

#[test]
fn retractions_go_to_everyone_who_received_it() {
    let got = retraction_recipients(&[node(3), node(2), node(3), node(9)]);
    assert_eq!(got, {
        let mut v = vec![node(2), node(3), node(9)];
        v.sort();
        v
    });
}

#[test]
fn downgrade_plan_says_who_keeps_and_who_deletes() {
    let (peers, l) = peers();
    // Delivered under AMBER to the network, to some of the peers plus a node no longer peered.
    let delivered = vec![l["org"].clone(), l["state"].clone(), l["group"].clone(), l["hub"].clone(), node(42)];
    let new = ItemMeta { tlp: Tlp::Amber, owner_org: org(1), distribution: Distribution::orgs([org(2), org(5)]) };
    let plan = downgrade_plan(&new, &peers, &delivered);
    let sorted = |mut v: Vec<NodeId>| {
        v.sort();
        v
    };
    assert_eq!(plan.notify, sorted(delivered.clone()));
    assert_eq!(plan.keep, vec![l["org"].clone()]);
    assert_eq!(plan.must_delete, sorted(vec![l["state"].clone(), l["group"].clone(), l["hub"].clone(), node(42)]));
    // org 5's node never received it: a downgrade does not send it anywhere new.
    assert_eq!(plan.not_delivered, vec![l["user"].clone()]);
    // Downgrading to the owner organisation only: everyone deletes.
    let own = ItemMeta { tlp: Tlp::Amber, owner_org: org(1), distribution: Distribution::own_org() };
    let plan = downgrade_plan(&own, &peers, &delivered);
    assert!(plan.keep.is_empty() && plan.not_delivered.is_empty());
    assert_eq!(plan.must_delete, plan.notify);
}

#[test]
fn contributions_route_to_the_origin() {
    let (peers, l) = peers();
    assert_eq!(contribution_route(&l["state"], &peers), Some(l["state"].clone()));
    // Through the hub to the node behind it.
    assert_eq!(contribution_route(&node(8), &peers), Some(l["hub"].clone()));
    assert_eq!(contribution_route(&node(99), &peers), None);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    const COUNTRIES: [&str; 4] = ["AR", "BR", "UY", "CL"];

    fn arb_node_facts() -> impl Strategy<Value = (Option<usize>, Vec<u8>, Vec<u8>)> {
        (
            proptest::option::of(0usize..COUNTRIES.len()),
            proptest::collection::vec(0u8..10, 0..4),
            proptest::collection::vec(0u8..4, 0..3),
        )
    }

    fn arb_peers() -> impl Strategy<Value = Vec<PeerInfo>> {
        proptest::collection::vec((arb_node_facts(), proptest::collection::vec(arb_node_facts(), 0..3)), 0..8).prop_map(|ps| {
            ps.into_iter()
                .enumerate()
                .map(|(i, ((c, orgs, groups), relayed))| PeerInfo {
                    node: node(i as u8 + 10),
                    country: c.map(|c| cc(COUNTRIES[c])),
                    orgs: orgs.into_iter().map(|o| org(o as u128)).collect(),
                    groups: groups.into_iter().map(|g| group(g as u128)).collect(),
                    relays_for: relayed
                        .into_iter()
                        .enumerate()
                        .map(|(j, (c, orgs, groups))| RelayedNode {
                            node: Some(node(100 + i as u8 * 4 + j as u8)),
                            country: c.map(|c| cc(COUNTRIES[c])),
                            orgs: orgs.into_iter().map(|o| org(o as u128)).collect(),
                            groups: groups.into_iter().map(|g| group(g as u128)).collect(),
                        })
                        .collect(),
                })
                .collect()
        })
    }

    fn arb_distribution() -> impl Strategy<Value = Distribution> {
        (
            proptest::collection::vec(0u8..10, 0..4),
            proptest::collection::vec(0usize..COUNTRIES.len(), 0..3),
            proptest::collection::vec(0u8..4, 0..3),
            any::<bool>(),
            proptest::collection::vec((0u8..10, 0u8..10), 0..3),
        )
            .prop_map(|(orgs, states, groups, network, users)| Distribution {
                organisations: orgs.into_iter().map(|o| org(o as u128)).collect(),
                states: states.into_iter().map(|s| cc(COUNTRIES[s])).collect(),
                groups: groups.into_iter().map(|g| group(g as u128)).collect(),
                network,
                named_users: users.into_iter().map(|(o, u)| NamedUser { org: org(o as u128), user: user(u as u128) }).collect(),
            })
    }

    fn hosts_any(p: &PeerInfo, named: &[OrgId], owner: OrgId) -> bool {
        let ok = |orgs: &[OrgId]| !orgs.contains(&owner) && orgs.iter().any(|o| named.contains(o));
        ok(&p.orgs) || p.relays_for.iter().any(|r| ok(&r.orgs))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// AMBER+STRICT and RED never go to a peer that does not host (or relay for a node
        /// hosting) an explicitly named organisation — whatever states, groups or network say.
        #[test]
        fn strict_and_red_only_reach_named_organisations(peers in arb_peers(), d in arb_distribution(), owner in 0u8..10) {
            let owner = org(owner as u128);
            let strict = ItemMeta { tlp: Tlp::AmberStrict, owner_org: owner, distribution: d.clone() };
            for n in recipients(&strict, &peers) {
                let p = peers.iter().find(|p| p.node == n).unwrap();
                prop_assert!(hosts_any(p, &d.organisations, owner), "AMBER+STRICT to {n} hosting {:?}", p.orgs);
            }
            let red = ItemMeta { tlp: Tlp::Red, owner_org: owner, distribution: d.clone() };
            let named: Vec<OrgId> = d.named_users.iter().map(|u| u.org).collect();
            for n in recipients(&red, &peers) {
                let p = peers.iter().find(|p| p.node == n).unwrap();
                prop_assert!(hosts_any(p, &named, owner), "RED to {n} hosting {:?}", p.orgs);
            }
            // Without named organisations (resp. individuals) nothing goes anywhere.
            let no_orgs = Distribution { organisations: vec![], ..d.clone() };
            let strict_none = recipients(&ItemMeta { tlp: Tlp::AmberStrict, owner_org: owner, distribution: no_orgs }, &peers);
            prop_assert!(strict_none.is_empty());
            let no_users = Distribution { named_users: vec![], ..d.clone() };
            let red_none = recipients(&ItemMeta { tlp: Tlp::Red, owner_org: owner, distribution: no_users }, &peers);
            prop_assert!(red_none.is_empty());
        }

        /// Stricter never reaches more: STRICT ⊆ AMBER = GREEN = CLEAR; recipients are peers.
        #[test]
        fn stricter_reaches_fewer(peers in arb_peers(), d in arb_distribution(), owner in 0u8..10) {
            let owner = org(owner as u128);
            let r = |tlp| recipients(&ItemMeta { tlp, owner_org: owner, distribution: d.clone() }, &peers);
            let (clear, green, amber, strict) = (r(Tlp::Clear), r(Tlp::Green), r(Tlp::Amber), r(Tlp::AmberStrict));
            prop_assert_eq!(&clear, &green);
            prop_assert_eq!(&green, &amber);
            prop_assert!(strict.iter().all(|n| amber.contains(n)));
            prop_assert!(amber.iter().all(|n| peers.iter().any(|p| &p.node == n)));
            // A peer hosting only the owner organisation and relaying for nobody never receives it.
            for p in &peers {
                if p.relays_for.is_empty() && p.orgs.contains(&owner) {
                    prop_assert!(!amber.contains(&p.node));
                }
            }
        }

        /// A downgrade's keep/must_delete partition what was delivered.
        #[test]
        fn downgrade_partitions_delivered(peers in arb_peers(), d in arb_distribution(), mask in any::<u16>()) {
            let delivered: Vec<NodeId> = peers.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, p)| p.node.clone()).collect();
            let plan = downgrade_plan(&ItemMeta { tlp: Tlp::Amber, owner_org: org(0), distribution: d }, &peers, &delivered);
            let mut union: Vec<NodeId> = plan.keep.iter().chain(plan.must_delete.iter()).cloned().collect();
            union.sort();
            prop_assert_eq!(&union, &plan.notify);
            prop_assert!(plan.keep.iter().all(|n| !plan.must_delete.contains(n)));
            prop_assert!(plan.not_delivered.iter().all(|n| !delivered.contains(n)));
        }
    }
}
