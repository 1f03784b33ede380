//! Linking: a grammar together with every grammar its `<ruleref>`s reach,
//! references resolved, and the analysis the matcher runs on — which nodes
//! can match nothing, and an order in which each node comes after every node
//! it needs at the same input position. No such order exists exactly when a
//! rule is left-recursive, which is then reported instead of looping.
//!
//! Linking does no I/O: grammars referenced by URL come from a
//! [`GrammarLoader`], which the interpreter backs with grammars it has
//! already fetched through the cache.

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

use super::error::{Cause, GrammarError};
use super::model::{Grammar, Mode, Node, NodeId, RuleId};

/// Supplies the grammars that `<ruleref uri>`s name, by URL without fragment.
///
/// The interpreter fetches them first (following [`Grammar::external_refs`]
/// of each fetched grammar in turn) and hands over a loader over that set:
/// `HashMap<Url, Arc<Grammar>>` is one.
pub trait GrammarLoader {
    /// The grammar at `url`, or why there is none ([`GrammarError::Load`]
    /// for a fetch failure; a parse error as it is).
    fn load(&self, url: &Url) -> Result<Arc<Grammar>, GrammarError>;
}

impl<S: std::hash::BuildHasher> GrammarLoader for HashMap<Url, Arc<Grammar>, S> {
    fn load(&self, url: &Url) -> Result<Arc<Grammar>, GrammarError> {
        self.get(url).cloned().ok_or_else(|| GrammarError::Load {
            url: url.to_string(),
            reason: "not among the grammars fetched for this one".into(),
        })
    }
}

/// The most grammars one linked grammar may pull in.
const MAX_LINKED: usize = 256;

/// A grammar ready to match: linked with the grammars it references.
/// Cheap to clone and shareable across threads; build it once per grammar
/// (and loader) and keep it as long as the grammars do not change.
#[derive(Clone, Debug)]
pub struct ActiveGrammar {
    pub(crate) linked: Arc<Linked>,
}

#[derive(Debug)]
pub(crate) struct Linked {
    /// The grammar itself first, then those it reaches.
    pub grammars: Vec<Arc<Grammar>>,
    /// For each grammar, each of its external references resolved to
    /// (grammar index, rule).
    pub externals: Vec<Vec<(usize, RuleId)>>,
    pub analysis: Analysis,
}

impl ActiveGrammar {
    /// A grammar that references no other grammar (builtins and inline
    /// grammars usually). One with external references gets
    /// [`GrammarError::Load`]: use [`ActiveGrammar::link`].
    pub fn new(grammar: Arc<Grammar>) -> Result<ActiveGrammar, GrammarError> {
        let none: HashMap<Url, Arc<Grammar>> = HashMap::new();
        ActiveGrammar::link(grammar, &none)
    }

    /// Links `grammar` with every grammar its references reach, loaded
    /// through `loader`. Fails when one cannot be loaded, names an undefined
    /// or private rule, has another mode, or makes a rule left-recursive.
    pub fn link(
        grammar: Arc<Grammar>,
        loader: &dyn GrammarLoader,
    ) -> Result<ActiveGrammar, GrammarError> {
        let mut own = grammar.url.clone();
        own.set_fragment(None);
        let mut urls = vec![own];
        let mut grammars = vec![grammar];
        let mut i = 0;
        while let Some(g) = grammars.get(i).cloned() {
            for e in &g.externals {
                if urls.contains(&e.url) {
                    continue;
                }
                if grammars.len() >= MAX_LINKED {
                    return Err(GrammarError::Load {
                        url: e.url.to_string(),
                        reason: format!("more than {MAX_LINKED} grammars referenced"),
                    });
                }
                grammars.push(loader.load(&e.url)?);
                urls.push(e.url.clone());
            }
            i += 1;
        }
        let mut externals = Vec::with_capacity(grammars.len());
        for g in &grammars {
            let mut resolved = Vec::with_capacity(g.externals.len());
            for e in &g.externals {
                let invalid = |cause| GrammarError::Invalid {
                    url: g.url.to_string(),
                    at: e.at,
                    cause,
                };
                let t = urls.iter().position(|u| *u == e.url).unwrap_or(0);
                let target = &grammars[t];
                if target.mode != g.mode {
                    return Err(invalid(Cause::ModeMismatch {
                        referrer: g.mode,
                        referenced: target.mode,
                    }));
                }
                let rule = match &e.rule {
                    None => target.root,
                    Some(name) => {
                        let r = target.find_rule(name).ok_or_else(|| {
                            invalid(Cause::UndefinedRule(format!("{}#{name}", e.url)))
                        })?;
                        if !target.rule(r).public {
                            return Err(invalid(Cause::PrivateRule(format!("{}#{name}", e.url))));
                        }
                        r
                    }
                };
                resolved.push((t, rule));
            }
            externals.push(resolved);
        }
        let analysis = {
            let refs: Vec<&Grammar> = grammars.iter().map(|g| &**g).collect();
            analyze(&refs, &|g, x| {
                externals.get(g).and_then(|e| e.get(x as usize)).copied()
            })
        };
        let analysis = analysis.map_err(|(g, r)| left_recursion(&grammars[g], r))?;
        Ok(ActiveGrammar {
            linked: Arc::new(Linked {
                grammars,
                externals,
                analysis,
            }),
        })
    }

    /// The grammar this was made from.
    pub fn grammar(&self) -> &Arc<Grammar> {
        &self.linked.grammars[0]
    }

    pub fn mode(&self) -> Mode {
        self.grammar().mode
    }
}

fn left_recursion(g: &Grammar, r: RuleId) -> GrammarError {
    let rule = g.rule(r);
    GrammarError::Invalid {
        url: g.url.to_string(),
        at: rule.at,
        cause: Cause::LeftRecursion(rule.name.to_string()),
    }
}

/// Checks one grammar on its own, external references left out: left
/// recursion within it is reported while its text (and line numbers) is at
/// hand.
pub(crate) fn check_local(g: &Grammar) -> Result<(), GrammarError> {
    analyze(&[g], &|_, _| None)
        .map(|_| ())
        .map_err(|(_, r)| left_recursion(g, r))
}

/// What the matcher needs to know about a set of linked grammars. Nodes are
/// numbered globally: grammar `g`'s node `n` is `base[g] + n`.
#[derive(Debug)]
pub(crate) struct Analysis {
    pub base: Vec<usize>,
    pub total: usize,
    /// Whether each node can match zero tokens.
    pub nullable: Vec<bool>,
    /// Every node, each after all the nodes it needs at the same position.
    pub order: Vec<(usize, NodeId)>,
}

/// A resolver of external references: (grammar, external index) → (grammar, rule).
type Resolve<'a> = dyn Fn(usize, u32) -> Option<(usize, RuleId)> + 'a;

/// Computes nullability and the evaluation order, or names a left-recursive
/// rule as (grammar index, rule).
fn analyze(grammars: &[&Grammar], resolve: &Resolve) -> Result<Analysis, (usize, RuleId)> {
    let mut base = Vec::with_capacity(grammars.len());
    let mut total = 0usize;
    for g in grammars {
        base.push(total);
        total += g.nodes.len();
    }
    let global = |g: usize, n: NodeId| base[g] + n as usize;
    // The body of the rule a node refers to, if it refers to one that exists.
    let referred = |g: usize, node: &Node| -> Option<usize> {
        match node {
            Node::Rule(r) => grammars[g]
                .rules
                .get(*r as usize)
                .map(|rule| global(g, rule.body)),
            Node::External(x) => {
                let (tg, tr) = resolve(g, *x)?;
                grammars
                    .get(tg)?
                    .rules
                    .get(tr as usize)
                    .map(|rule| global(tg, rule.body))
            }
            _ => None,
        }
    };

    let mut nullable = vec![false; total];
    loop {
        let mut changed = false;
        for (gi, g) in grammars.iter().enumerate() {
            for (ni, node) in g.nodes.iter().enumerate() {
                let id = base[gi] + ni;
                if nullable[id] {
                    continue;
                }
                let n = |c: &NodeId| nullable[global(gi, *c)];
                let now = match node {
                    Node::Words(_) | Node::Void | Node::Builtin(_) => false,
                    Node::Null | Node::Garbage | Node::Tag(_) => true,
                    Node::Seq(cs) => cs.iter().all(n),
                    Node::Alt(cs) => cs.iter().any(n),
                    Node::Repeat { body, min, max } => *min == 0 || *max == Some(0) || n(body),
                    Node::Rule(_) | Node::External(_) => {
                        referred(gi, node).is_some_and(|b| nullable[b])
                    }
                };
                if now {
                    nullable[id] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }

    // The nodes each node needs at its own start position.
    let mut needs: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (gi, g) in grammars.iter().enumerate() {
        for (ni, node) in g.nodes.iter().enumerate() {
            let list = &mut needs[base[gi] + ni];
            match node {
                Node::Seq(cs) => {
                    // A child is needed at the start while everything before it can be empty.
                    for c in cs.iter() {
                        let c = global(gi, *c);
                        list.push(c);
                        if !nullable[c] {
                            break;
                        }
                    }
                }
                Node::Alt(cs) => list.extend(cs.iter().map(|c| global(gi, *c))),
                Node::Repeat { body, max, .. } if *max != Some(0) => list.push(global(gi, *body)),
                Node::Rule(_) | Node::External(_) => list.extend(referred(gi, node)),
                _ => {}
            }
        }
    }

    // Kahn's algorithm: a node is ready once everything it needs is placed.
    let mut waiting: Vec<usize> = needs.iter().map(Vec::len).collect();
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); total];
    for (id, list) in needs.iter().enumerate() {
        for &d in list {
            needed_by[d].push(id);
        }
    }
    let mut ready: Vec<usize> = (0..total).filter(|&id| waiting[id] == 0).collect();
    let mut placed = vec![false; total];
    let mut order_ids = Vec::with_capacity(total);
    while let Some(id) = ready.pop() {
        placed[id] = true;
        order_ids.push(id);
        for &user in &needed_by[id] {
            waiting[user] -= 1;
            if waiting[user] == 0 {
                ready.push(user);
            }
        }
    }
    if order_ids.len() < total {
        return Err(find_cycle(grammars, &base, &needs, &placed));
    }
    let owner = |id: usize| -> (usize, NodeId) {
        let g = base.partition_point(|&b| b <= id) - 1;
        (g, u32::try_from(id - base[g]).unwrap_or(u32::MAX))
    };
    // Grammars with no nodes share a base with the next one; partition_point
    // picks the last grammar starting at or before the id, which owns it.
    let order = order_ids.into_iter().map(owner).collect();
    Ok(Analysis {
        base,
        total,
        nullable,
        order,
    })
}

/// The first rule (grammar order, then document order) whose body needs
/// itself at the same position.
fn find_cycle(
    grammars: &[&Grammar],
    base: &[usize],
    needs: &[Vec<usize>],
    placed: &[bool],
) -> (usize, RuleId) {
    let mut first_unplaced = None;
    for (gi, g) in grammars.iter().enumerate() {
        for (ri, rule) in g.rules.iter().enumerate() {
            let start = base[gi] + rule.body as usize;
            if placed[start] {
                continue;
            }
            let ri = u32::try_from(ri).unwrap_or(u32::MAX);
            first_unplaced.get_or_insert((gi, ri));
            let mut seen = vec![false; needs.len()];
            let mut stack: Vec<usize> = needs[start].clone();
            while let Some(id) = stack.pop() {
                if id == start {
                    return (gi, ri);
                }
                if placed[id] || std::mem::replace(&mut seen[id], true) {
                    continue;
                }
                stack.extend(&needs[id]);
            }
        }
    }
    first_unplaced.unwrap_or((0, 0))
}
