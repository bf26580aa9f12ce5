//! One sort for the crate's byte-ordered checks (the tree listing, the case-collision rules of
//! trees and tarballs, JSON duplicate keys): indices sorted by byte-string keys, ties by
//! position, so the result is deterministic and the sort's code exists once in a binary
//! (each `sort_by` with its own closure is a few KB of WebAssembly).

use alloc::vec::Vec;

/// The indices of `keys` in byte order of the keys, equal keys in their original order.
pub(crate) fn sorted_order(keys: &[&[u8]]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_unstable_by(|&a, &b| keys.get(a).cmp(&keys.get(b)).then(a.cmp(&b)));
    order
}

/// `items` rearranged into `order` (a permutation of its indices, from [`sorted_order`]).
pub(crate) fn permute<T>(items: Vec<T>, order: &[usize]) -> Vec<T> {
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_bytes_and_keeps_ties_in_order() {
        let keys: [&[u8]; 5] = [b"b", b"a", b"B", b"a", b""];
        let order = sorted_order(&keys);
        assert_eq!(order, [4, 2, 1, 3, 0]);
        assert_eq!(
            permute(alloc::vec![10, 11, 12, 13, 14], &order),
            [14, 12, 11, 13, 10]
        );
    }
}
