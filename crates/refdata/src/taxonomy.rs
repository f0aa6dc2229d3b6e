//! Google's product taxonomy, version 2019-07-10: 5,582 categories in a tree up to seven deep.
//!
//! Why this taxonomy: it is the category list that merchant feeds already use (the
//! `google_product_category` field takes either an id or a full path), it covers everything a
//! live-commerce pool sells, and its ids are stable integers. Pool SKUs are filed under a leaf;
//! the selection centre filters by a whole subtree ([`Taxonomy::descendants_and_self`]).
//!
//! The file is embedded unchanged (`data/taxonomy-with-ids.en-US.txt`, shipped in the MIT crate
//! `google_taxonomy` 0.3.2) and parsed once, on first use.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::Serialize;

/// The version line of the embedded file, which parsing checks.
pub const TAXONOMY_VERSION: &str = "2019-07-10";

/// The embedded taxonomy file: a version header, then one `id - A > B > C` line per category.
const TAXONOMY_TEXT: &str = include_str!("../../../data/taxonomy-with-ids.en-US.txt");

/// The first line of the file, before the version.
const HEADER_PREFIX: &str = "# Google_Product_Taxonomy_Version: ";

/// Separates the id from the path on each line.
const ID_SEPARATOR: &str = " - ";

/// Separates the levels of a path.
const PATH_SEPARATOR: &str = " > ";

static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| {
    Taxonomy::parse(TAXONOMY_TEXT).expect("the embedded taxonomy parses, as the tests check")
});

/// The embedded taxonomy, parsed on first use.
pub fn taxonomy() -> &'static Taxonomy {
    &TAXONOMY
}

/// One category of the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// Google's id, stable across taxonomy versions.
    pub id: u32,
    /// The last level of the path, e.g. `Air Conditioners`.
    pub name: &'static str,
    /// The full path, e.g. `Home & Garden > Household Appliances > Climate Control Appliances >
    /// Air Conditioners`.
    pub path: &'static str,
    /// The category one level up; `None` for the 21 top-level categories.
    pub parent_id: Option<u32>,
    /// How many levels the path has: 1 for a top-level category.
    pub depth: u8,
}

/// The whole category tree, with indexes for O(1) lookups by id and by path.
#[derive(Debug)]
pub struct Taxonomy {
    /// Every category in file order, which is alphabetical by path.
    categories: Vec<Category>,
    /// Position in `categories` of each id.
    position_by_id: HashMap<u32, usize>,
    /// Id of each full path, for feeds that name a category by its path.
    id_by_path: HashMap<&'static str, u32>,
    /// Ids of the direct children of each category, by the category's position, in file order.
    children_by_position: Vec<Vec<u32>>,
    /// Ids of the categories without a parent, in file order.
    top_level: Vec<u32>,
}

/// Why the embedded file did not parse; only a broken build can produce one.
#[derive(Debug)]
struct ParseError {
    /// The 1-based line of the file.
    line: usize,
    /// What was wrong with it.
    reason: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "taxonomy line {}: {}", self.line, self.reason)
    }
}

impl Taxonomy {
    fn parse(text: &'static str) -> Result<Self, ParseError> {
        let mut lines = text.lines().enumerate();
        let header_ok = lines
            .next()
            .and_then(|(_, header)| header.strip_prefix(HEADER_PREFIX))
            .is_some_and(|version| version.trim() == TAXONOMY_VERSION);
        if !header_ok {
            return Err(ParseError {
                line: 1,
                reason: "expected the version header",
            });
        }

        // First pass: ids and paths. Parents are resolved in a second pass so that the file
        // order does not have to put a parent before its children.
        let mut categories = Vec::new();
        let mut id_by_path = HashMap::new();
        for (index, line) in lines {
            let line_number = index + 1;
            let error = |reason| ParseError {
                line: line_number,
                reason,
            };
            let (id, path) = line
                .split_once(ID_SEPARATOR)
                .ok_or_else(|| error("expected `id - path`"))?;
            let id: u32 = id.parse().map_err(|_| error("the id is not a number"))?;
            let levels = path.split(PATH_SEPARATOR).count();
            let depth = u8::try_from(levels).map_err(|_| error("the path is too deep"))?;
            let name = path.rsplit(PATH_SEPARATOR).next().unwrap_or(path);
            if id_by_path.insert(path, id).is_some() {
                return Err(error("duplicate path"));
            }
            categories.push((
                line_number,
                Category {
                    id,
                    name,
                    path,
                    parent_id: None,
                    depth,
                },
            ));
        }

        let mut position_by_id = HashMap::with_capacity(categories.len());
        for (position, (line, category)) in categories.iter().enumerate() {
            if position_by_id.insert(category.id, position).is_some() {
                return Err(ParseError {
                    line: *line,
                    reason: "duplicate id",
                });
            }
        }

        let mut children_by_position = vec![Vec::new(); categories.len()];
        let mut top_level = Vec::new();
        for (line, category) in &mut categories {
            match category.path.rsplit_once(PATH_SEPARATOR) {
                None => top_level.push(category.id),
                Some((parent_path, _)) => {
                    let parent_id = *id_by_path.get(parent_path).ok_or(ParseError {
                        line: *line,
                        reason: "the parent path is not a category",
                    })?;
                    category.parent_id = Some(parent_id);
                    children_by_position[position_by_id[&parent_id]].push(category.id);
                }
            }
        }

        Ok(Self {
            categories: categories
                .into_iter()
                .map(|(_, category)| category)
                .collect(),
            position_by_id,
            id_by_path,
            children_by_position,
            top_level,
        })
    }

    /// The category with this id.
    pub fn get(&self, id: u32) -> Option<&Category> {
        self.position_by_id
            .get(&id)
            .map(|&position| &self.categories[position])
    }

    /// The category with exactly this full path, e.g. `Apparel & Accessories > Shoes`.
    pub fn find_by_path(&self, path: &str) -> Option<&Category> {
        self.id_by_path.get(path).and_then(|&id| self.get(id))
    }

    /// Every category, in file order (alphabetical by path, so a parent precedes its subtree).
    pub fn all(&self) -> &[Category] {
        &self.categories
    }

    /// How many categories there are (5,582).
    pub fn len(&self) -> usize {
        self.categories.len()
    }

    /// Whether there are no categories; never true for the embedded file.
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// Ids of the direct children of `id`, in file order; empty for a leaf or an unknown id.
    pub fn children(&self, id: u32) -> &[u32] {
        self.position_by_id
            .get(&id)
            .map_or(&[], |&position| &self.children_by_position[position])
    }

    /// Whether `id` is a known category without children, the level products are filed at.
    pub fn is_leaf(&self, id: u32) -> bool {
        self.get(id).is_some() && self.children(id).is_empty()
    }

    /// `id` followed by every category below it, depth first in file order; empty for an
    /// unknown id. This is the set a "category subtree" filter matches.
    pub fn descendants_and_self(&self, id: u32) -> Vec<u32> {
        if self.get(id).is_none() {
            return Vec::new();
        }
        let mut found = Vec::new();
        let mut pending = vec![id];
        while let Some(next) = pending.pop() {
            found.push(next);
            // Reversed so that the stack pops children in file order.
            pending.extend(self.children(next).iter().rev());
        }
        found
    }

    /// Whether `id` is `ancestor` or lies below it; false if either is unknown.
    pub fn is_within(&self, id: u32, ancestor: u32) -> bool {
        if self.get(ancestor).is_none() {
            return false;
        }
        let mut current = self.get(id);
        while let Some(category) = current {
            if category.id == ancestor {
                return true;
            }
            current = category.parent_id.and_then(|parent| self.get(parent));
        }
        false
    }

    /// The ids above `id`, top level first, not including `id`; empty for a top-level or
    /// unknown id.
    pub fn ancestors(&self, id: u32) -> Vec<u32> {
        let mut found = Vec::new();
        let mut parent = self.get(id).and_then(|category| category.parent_id);
        while let Some(parent_id) = parent {
            found.push(parent_id);
            parent = self.get(parent_id).and_then(|category| category.parent_id);
        }
        found.reverse();
        found
    }

    /// Ids of the 21 top-level categories, in file order.
    pub fn top_level(&self) -> Vec<u32> {
        self.top_level.clone()
    }

    /// Categories whose own name (not the path) contains `query`, ignoring ASCII case, in file
    /// order; empty for an empty query.
    pub fn search_by_name(&self, query: &str) -> Vec<&Category> {
        let query = query.trim().to_ascii_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        self.categories
            .iter()
            .filter(|category| category.name.to_ascii_lowercase().contains(&query))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AIR_CONDITIONERS: u32 = 605;
    const HOME_AND_GARDEN: u32 = 536;
    const HOUSEHOLD_APPLIANCES: u32 = 604;
    const CLIMATE_CONTROL_APPLIANCES: u32 = 1626;
    const APPAREL_AND_ACCESSORIES: u32 = 166;

    #[test]
    fn the_embedded_file_has_every_category() {
        let taxonomy = taxonomy();
        assert_eq!(taxonomy.len(), 5582);
        assert_eq!(taxonomy.top_level().len(), 21);
        let leaves = taxonomy
            .all()
            .iter()
            .filter(|category| taxonomy.is_leaf(category.id))
            .count();
        assert_eq!(leaves, 4709);
    }

    #[test]
    fn every_parent_resolves_and_depth_matches_the_chain() {
        let taxonomy = taxonomy();
        for category in taxonomy.all() {
            let ancestors = taxonomy.ancestors(category.id);
            assert_eq!(
                ancestors.len() + 1,
                usize::from(category.depth),
                "{category:?}"
            );
            if let Some(parent) = category.parent_id {
                let parent = taxonomy.get(parent).expect("parent exists");
                assert_eq!(
                    category.path,
                    format!("{}{PATH_SEPARATOR}{}", parent.path, category.name)
                );
                assert!(taxonomy.children(parent.id).contains(&category.id));
            }
        }
    }

    #[test]
    fn air_conditioners_have_the_expected_parent_chain() {
        let taxonomy = taxonomy();
        let category = taxonomy.get(AIR_CONDITIONERS).expect("605 exists");
        assert_eq!(category.name, "Air Conditioners");
        assert_eq!(
            category.path,
            "Home & Garden > Household Appliances > Climate Control Appliances > Air Conditioners"
        );
        assert_eq!(category.depth, 4);
        assert_eq!(category.parent_id, Some(CLIMATE_CONTROL_APPLIANCES));
        assert_eq!(
            taxonomy.ancestors(AIR_CONDITIONERS),
            vec![
                HOME_AND_GARDEN,
                HOUSEHOLD_APPLIANCES,
                CLIMATE_CONTROL_APPLIANCES
            ]
        );
        assert!(taxonomy.is_leaf(AIR_CONDITIONERS));
        assert_eq!(
            taxonomy.find_by_path(category.path).map(|found| found.id),
            Some(AIR_CONDITIONERS)
        );
    }

    #[test]
    fn a_subtree_holds_its_leaves_and_nothing_else() {
        let taxonomy = taxonomy();
        let home = taxonomy.descendants_and_self(HOME_AND_GARDEN);
        assert_eq!(home.first(), Some(&HOME_AND_GARDEN));
        assert!(home.contains(&AIR_CONDITIONERS));
        assert!(!home.contains(&APPAREL_AND_ACCESSORIES));
        for id in &home {
            assert!(taxonomy.is_within(*id, HOME_AND_GARDEN));
        }
        let inside = taxonomy
            .all()
            .iter()
            .filter(|category| taxonomy.is_within(category.id, HOME_AND_GARDEN))
            .count();
        assert_eq!(inside, home.len());

        assert!(taxonomy.is_within(AIR_CONDITIONERS, AIR_CONDITIONERS));
        assert!(!taxonomy.is_within(AIR_CONDITIONERS, APPAREL_AND_ACCESSORIES));
        assert_eq!(
            taxonomy.descendants_and_self(AIR_CONDITIONERS),
            vec![AIR_CONDITIONERS]
        );
    }

    #[test]
    fn top_level_subtrees_partition_the_taxonomy() {
        let taxonomy = taxonomy();
        let total: usize = taxonomy
            .top_level()
            .iter()
            .map(|&id| taxonomy.descendants_and_self(id).len())
            .sum();
        assert_eq!(total, taxonomy.len());
    }

    #[test]
    fn unknown_ids_are_empty_rather_than_errors() {
        let taxonomy = taxonomy();
        assert!(taxonomy.get(0).is_none());
        assert!(taxonomy.children(0).is_empty());
        assert!(taxonomy.descendants_and_self(0).is_empty());
        assert!(taxonomy.ancestors(0).is_empty());
        assert!(!taxonomy.is_within(0, HOME_AND_GARDEN));
        assert!(!taxonomy.is_within(AIR_CONDITIONERS, 0));
    }

    #[test]
    fn search_matches_names_ignoring_case() {
        let found = taxonomy().search_by_name("air conditioners");
        assert!(found.iter().any(|category| category.id == AIR_CONDITIONERS));
        assert!(taxonomy().search_by_name("  ").is_empty());
    }
}
