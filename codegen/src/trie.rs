//! A radix-compressed byte trie over family prefixes: the shape of the generated `route`.

use std::collections::BTreeMap;

/// A node reached after consuming some prefix bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<T> {
    /// The value of the prefix that ends exactly here.
    pub value: Option<T>,
    /// Outgoing edges by their first byte; `label` is the whole edge, first byte included.
    pub edges: BTreeMap<u8, Edge<T>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge<T> {
    /// Never empty. Compressed: the node it leads to has a value or branches.
    pub label: Vec<u8>,
    pub node: Node<T>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Node {
            value: None,
            edges: BTreeMap::new(),
        }
    }
}

/// Builds the trie. Prefixes must be distinct and non-empty (checked by `validate`).
pub fn build<T: Clone>(entries: &[(Vec<u8>, T)]) -> Node<T> {
    let mut root = Node::default();
    for (prefix, value) in entries {
        insert(&mut root, prefix, value.clone());
    }
    root
}

fn insert<T>(node: &mut Node<T>, key: &[u8], value: T) {
    let Some(&first) = key.first() else {
        node.value = Some(value);
        return;
    };
    let Some(edge) = node.edges.get_mut(&first) else {
        node.edges.insert(
            first,
            Edge {
                label: key.to_vec(),
                node: Node {
                    value: Some(value),
                    edges: BTreeMap::new(),
                },
            },
        );
        return;
    };
    let common = edge
        .label
        .iter()
        .zip(key)
        .take_while(|(a, b)| a == b)
        .count();
    if common < edge.label.len() {
        // Split the edge: a new inner node holds the common part.
        let tail = edge.label.split_off(common);
        let old = std::mem::take(&mut edge.node);
        edge.node.edges.insert(
            tail[0],
            Edge {
                label: tail,
                node: old,
            },
        );
    }
    insert(&mut edge.node, &key[common..], value);
}

/// Longest-prefix lookup on the trie (the reference for the generated code's behaviour).
pub fn lookup<'t, T>(root: &'t Node<T>, mut key: &[u8]) -> Option<&'t T> {
    let mut node = root;
    let mut best = node.value.as_ref();
    while let Some(edge) = key.first().and_then(|b| node.edges.get(b)) {
        let Some(rest) = key.strip_prefix(edge.label.as_slice()) else {
            break;
        };
        key = rest;
        node = &edge.node;
        best = node.value.as_ref().or(best);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute<'a>(entries: &'a [(Vec<u8>, usize)], key: &[u8]) -> Option<&'a usize> {
        entries
            .iter()
            .filter(|(p, _)| key.starts_with(p))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, v)| v)
    }

    #[test]
    fn compresses_and_matches_longest_prefix() {
        let prefixes = [
            "!hs|meta|",
            "!hs|meta|d|",
            "!hs|fld|",
            "!lst|meta|",
            "!txn|",
            "!s3|blob|",
        ];
        let entries: Vec<(Vec<u8>, usize)> = prefixes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_bytes().to_vec(), i))
            .collect();
        let root = build(&entries);
        // Everything starts with `!`: one compressed edge from the root.
        assert_eq!(root.edges.len(), 1);
        assert_eq!(root.edges[&b'!'].label, b"!");
        let hs = &root.edges[&b'!'].node.edges[&b'h'];
        assert_eq!(hs.label, b"hs|");
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for p in prefixes {
            for cut in 0..=p.len() {
                keys.push(p.as_bytes()[..cut].to_vec());
                keys.push([&p.as_bytes()[..cut], b"d|x".as_slice()].concat());
                keys.push([&p.as_bytes()[..cut], b"\xff".as_slice()].concat());
            }
        }
        for key in keys {
            assert_eq!(lookup(&root, &key), brute(&entries, &key), "{key:?}");
        }
    }
}
