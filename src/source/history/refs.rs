//! The refs a history scan starts from.

use git2::{ObjectType, Oid, Repository};

use super::GitError;

/// The commits to start from: every ref (branches, tags, remote-tracking refs, notes, the
/// stash), `HEAD`, and every older stash entry (kept in the stash's reflog). Annotated tags
/// met on the way are collected into `tags`, blobs and trees that refs name (directly or
/// through tags) into `roots`, refs to missing objects into `errors`.
pub(super) fn tips(
    repo: &Repository,
    tags: &mut Vec<(String, Oid)>,
    roots: &mut Vec<(String, Oid)>,
    errors: &mut Vec<String>,
) -> Result<Vec<Oid>, GitError> {
    let mut tips = Vec::new();
    for r in repo.references()? {
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("cannot read a ref: {}", e.message()));
                continue;
            }
        };
        let Some(target) = r.target() else { continue }; // symbolic: its target is listed too
        let name = String::from_utf8_lossy(r.shorthand_bytes()).into_owned();
        let mut object = match repo.find_object(target, None) {
            Ok(o) => o,
            Err(e) => {
                errors.push(format!("ref {name} points to a missing object: {}", e.message()));
                continue;
            }
        };
        // Follow tags (possibly of tags) down to what they name, a bounded number of steps
        // (a chain can be long, but not endless: ids are hashes of content).
        let mut depth = 0;
        while object.kind() == Some(ObjectType::Tag) && depth < MAX_TAG_CHAIN {
            depth += 1;
            tags.push((name.clone(), object.id()));
            let Some(tag) = object.as_tag() else { break };
            let target = tag.target_id();
            match tag.target() {
                Ok(next) => object = next,
                Err(e) => {
                    errors.push(format!(
                        "tag {name} ({}) names a missing object {target}: {}",
                        object.id(),
                        e.message()
                    ));
                    break;
                }
            }
        }
        match object.kind() {
            Some(ObjectType::Commit) => tips.push(object.id()),
            Some(ObjectType::Blob | ObjectType::Tree) => roots.push((name, object.id())),
            Some(ObjectType::Tag) => errors.push(format!(
                "ref {name}: a chain of more than {MAX_TAG_CHAIN} tags was not followed to its end"
            )),
            _ => {}
        }
    }
    roots.sort();
    roots.dedup_by(|a, b| a.1 == b.1);
    if let Ok(head) = repo.head()
        && let Some(id) = head.target()
    {
        tips.push(id);
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        tips.extend(reflog.iter().map(|e| e.id_new()));
    }
    tags.sort();
    tags.dedup();
    tips.sort();
    tips.dedup();
    Ok(tips)
}

/// The longest chain of tags (a tag of a tag of …) followed.
const MAX_TAG_CHAIN: usize = 64;
