//! ReplayGuard: eviction by time, bounded size, never accepting a replay.
mod common;
use atalaya_federation::*;
use common::*;
use std::collections::HashSet;
use time::Duration;

const W: Duration = DEFAULT_WINDOW;

fn s(secs: i64) -> time::OffsetDateTime {
    NOW + Duration::seconds(secs)
}

#[test]
fn entries_expire_after_the_window() {
    let mut g = ReplayGuard::new(10);
    let a = id(&a());
    g.check_and_record(&a, &nonce(1), s(0), s(0), W).expect("first");
    g.check_and_record(&a, &nonce(2), s(100), s(100), W).expect("second");
    assert_eq!(g.len(), 2);
    assert!(matches!(g.check_and_record(&a, &nonce(1), s(0), s(200), W), Err(FedError::Replay { .. })));
    // At +300 the first is still inside the window (sent_at >= now − window).
    g.evict_expired(s(300), W);
    assert_eq!(g.len(), 2);
    g.evict_expired(s(301), W);
    assert_eq!(g.len(), 1);
    assert!(!g.contains(&a, &nonce(1)) && g.contains(&a, &nonce(2)));
    assert_eq!(g.floor(), Some(s(0)));
    // Its nonce is forgotten, but the floor still refuses it.
    assert!(matches!(g.check_and_record(&a, &nonce(1), s(0), s(301), W), Err(FedError::Replay { .. })));
    g.evict_expired(s(10_000), W);
    assert!(g.is_empty());
}

#[test]
fn size_is_bounded_and_evicted_nonces_stay_refused() {
    let mut g = ReplayGuard::new(3);
    let a = id(&a());
    for i in 0..10u8 {
        g.check_and_record(&a, &nonce(i), s(i as i64), s(10), W).expect("fresh");
        assert!(g.len() <= 3);
    }
    assert_eq!(g.len(), 3);
    assert_eq!(g.capacity(), 3);
    assert_eq!(g.floor(), Some(s(6)));
    // Every one of them, remembered or evicted, is refused again.
    for i in 0..10u8 {
        assert!(matches!(g.check_and_record(&a, &nonce(i), s(i as i64), s(10), W), Err(FedError::Replay { .. })), "{i}");
    }
    // A new message older than everything remembered would raise the floor past itself: refused,
    // and nothing is evicted for it.
    assert!(matches!(g.check_and_record(&a, &nonce(100), s(7), s(10), W), Err(FedError::Replay { .. })));
    assert_eq!(g.len(), 3);
    assert_eq!(g.floor(), Some(s(6)));
    // A newer one is taken, evicting the oldest.
    g.check_and_record(&a, &nonce(101), s(10), s(10), W).expect("newer");
    assert_eq!(g.floor(), Some(s(7)));
    assert_eq!(g.len(), 3);
    // Capacity 0 is treated as 1.
    assert_eq!(ReplayGuard::new(0).capacity(), 1);
}

#[test]
fn a_restarted_guard_refuses_what_was_sent_before_it_started() {
    let a = id(&a());
    let mut g = ReplayGuard::starting_at(10, s(0));
    assert!(matches!(g.check_and_record(&a, &nonce(1), s(-5), s(1), W), Err(FedError::Replay { .. })));
    assert!(matches!(g.check_and_record(&a, &nonce(1), s(0), s(1), W), Err(FedError::Replay { .. })));
    g.check_and_record(&a, &nonce(1), s(1), s(1), W).expect("sent after the start");
}

#[test]
fn guard_works_through_verify_envelope() {
    let peers = dir_with(&[(&a(), PeerStatus::Active)]);
    let mut g = ReplayGuard::new(2);
    let envs: Vec<Envelope> = (0..3u8)
        .map(|i| sign_envelope(&a(), Envelope::new(id(&a()), id(&b()), s(i as i64), nonce(i * 20), &ack("1"))))
        .collect();
    for e in &envs {
        verify_envelope(e, &id(&b()), &peers, s(5), W, &mut g).expect("fresh");
    }
    assert_eq!(g.len(), 2);
    for e in &envs {
        assert!(matches!(verify_envelope(e, &id(&b()), &peers, s(5), W, &mut g), Err(FedError::Replay { .. })));
    }
}

mod property {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Whatever the capacity and the order of arrival, the same message (sender, nonce and
        /// the signed sent_at) is never accepted twice, and memory stays bounded. (A nonce reused
        /// with another sent_at is another signed message; it may pass once the first is evicted.)
        #[test]
        fn never_accepts_a_replay(
            cap in 1usize..8,
            msgs in proptest::collection::vec((0u8..3, 0u8..12, -300i64..300, 0i64..30), 1..80),
        ) {
            let senders = [id(&a()), id(&b()), id(&c())];
            let mut g = ReplayGuard::new(cap);
            let mut accepted: HashSet<(NodeId, Nonce, time::OffsetDateTime)> = HashSet::new();
            let mut now = NOW;
            for (who, n, offset, tick) in msgs {
                now += Duration::seconds(tick);
                let sent_at = now + Duration::seconds(offset);
                let key = (senders[who as usize].clone(), nonce(n), sent_at);
                // Only messages inside the window reach the guard (verify_envelope checks it first).
                if (now - sent_at).abs() > W { continue; }
                g.evict_expired(now, W);
                let remembered = g.contains(&key.0, &key.1);
                if g.check_and_record(&key.0, &key.1, sent_at, now, W).is_ok() {
                    // While remembered, the same nonce is refused whatever its sent_at.
                    prop_assert!(!remembered, "remembered nonce accepted");
                    prop_assert!(accepted.insert(key), "replay accepted");
                }
                prop_assert!(g.len() <= cap);
            }
        }
    }
}
