use super::*;
use proptest::prelude::*;

fn principal(org: Uuid, kind: OrgKind, role: Role, home: bool, country: &str) -> Principal {
    Principal {
        user_id: Uuid::new_v4(),
        username: "u".into(),
        org_id: org,
        org_kind: kind,
        org_country: Some(country.parse().expect("country")),
        role,
        home_org: home,
        groups: vec![],
    }
}

#[test]
fn directory_write_only_by_own_admins() {
    let a = Uuid::new_v4();
    let b = Uuid::new_v4();
    let admin_a = Subject::User(principal(a, OrgKind::NationalCsirt, Role::Admin, false, "BR"));
    let analyst_a = Subject::User(principal(a, OrgKind::NationalCsirt, Role::Analyst, false, "BR"));
    let node_admin = Subject::User(principal(b, OrgKind::NationalCsirt, Role::Admin, true, "CL"));
    let t = Target::Organisation { org_id: a, tlp: Tlp::Green };
    assert!(allowed(&admin_a, Access::Write, &t));
    assert!(!allowed(&analyst_a, Access::Write, &t));
    assert!(!allowed(&node_admin, Access::Write, &t), "node admins do not edit other organisations");
    assert!(allowed(&node_admin, Access::Write, &Target::NewOrganisation));
    assert!(!allowed(&admin_a, Access::Write, &Target::NewOrganisation));
    assert!(!allowed(&Subject::Anonymous, Access::Write, &t));
}

#[test]
fn audit_log_readers() {
    let o = Uuid::new_v4();
    for role in Role::ALL {
        let s = Subject::User(principal(o, OrgKind::NationalCsirt, role, true, "BR"));
        let expect = matches!(role, Role::Auditor | Role::Admin);
        assert_eq!(allowed(&s, Access::Read, &Target::AuditLog), expect, "{role}");
        assert!(!allowed(&s, Access::Write, &Target::AuditLog));
    }
    let foreign_admin = Subject::User(principal(o, OrgKind::NationalCsirt, Role::Admin, false, "BR"));
    assert!(!allowed(&foreign_admin, Access::Read, &Target::AuditLog));
}

#[test]
fn law_enforcement_contacts_hidden_from_partners() {
    let owner = Uuid::new_v4();
    let roles = [ContactRole::LawEnforcement247];
    let t = Target::Contact { org_id: owner, tlp: Tlp::Green, roles: &roles };
    let partner = Subject::User(principal(Uuid::new_v4(), OrgKind::Partner, Role::Partner, false, "BR"));
    let csirt = Subject::User(principal(Uuid::new_v4(), OrgKind::NationalCsirt, Role::DutyOfficer, false, "AR"));
    assert!(!allowed(&partner, Access::Read, &t));
    assert!(allowed(&csirt, Access::Read, &t));
}

#[test]
fn role_compatibility() {
    assert!(role_allowed_in(OrgKind::NationalCsirt, Role::LawEnforcement).is_err());
    assert!(role_allowed_in(OrgKind::LawEnforcementCyberUnit, Role::LawEnforcement).is_ok());
    assert!(role_allowed_in(OrgKind::Partner, Role::Analyst).is_err());
    assert!(role_allowed_in(OrgKind::NationalCsirt, Role::Partner).is_err());
    assert!(role_allowed_in(OrgKind::Partner, Role::Partner).is_ok());
}

/// An independent statement of the TLP 2.0 rules, written as a table, that the policy must match.
fn oracle(viewer: &Principal, tlp: Tlp, owner: Uuid, d: &Distribution, named: &[Uuid]) -> bool {
    let ntk = !matches!(viewer.role, Role::Partner | Role::Auditor);
    let own = viewer.org_id == owner;
    let explicit = d.orgs.contains(&viewer.org_id);
    let expanded = explicit
        || d.network
        || viewer.org_country.as_ref().map(|c| d.states.contains(c)).unwrap_or(false)
        || viewer.groups.iter().any(|g| d.groups.contains(g));
    match tlp {
        Tlp::Clear => true,
        Tlp::Green => own || expanded,
        Tlp::Amber => ntk && (own || expanded),
        Tlp::AmberStrict => ntk && (own || explicit),
        Tlp::Red => named.contains(&viewer.user_id),
    }
}

proptest! {
    #[test]
    fn object_reads_match_the_tlp_table(
        tlp_i in 0usize..5, role_i in 0usize..7, same_org in any::<bool>(),
        in_orgs in any::<bool>(), network in any::<bool>(), same_state in any::<bool>(),
        in_group in any::<bool>(), named in any::<bool>(),
    ) {
        let tlp = Tlp::ALL[tlp_i];
        let role = Role::ALL[role_i];
        let owner = Uuid::new_v4();
        let group = Uuid::new_v4();
        let org = if same_org { owner } else { Uuid::new_v4() };
        let mut v = principal(org, OrgKind::NationalCsirt, role, false, "BR");
        if in_group { v.groups.push(group); }
        let d = Distribution {
            orgs: if in_orgs { vec![org] } else { vec![Uuid::new_v4()] },
            states: vec![if same_state { "BR" } else { "MX" }.parse().expect("c")],
            groups: vec![group],
            network,
        };
        let names = if named { vec![v.user_id] } else { vec![] };
        let o = ObjectAccess { tlp, owner_org: owner, distribution: &d, named_users: &names };
        let s = Subject::User(v.clone());
        prop_assert_eq!(allowed(&s, Access::Read, &Target::Object(o.clone())), oracle(&v, tlp, owner, &d, &names));
        prop_assert_eq!(allowed(&Subject::Anonymous, Access::Read, &Target::Object(o)), tlp == Tlp::Clear);
    }
}
