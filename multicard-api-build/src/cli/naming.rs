//! How an operation is named on the command line: `multicard <group> <verb>`.

use heck::ToKebabCase;

/// The group of an operation: its tag made singular, or `registry` for a
/// `list_…` operation.
pub fn cli_group(tag: &str, operation_id: &str) -> String {
    if operation_id.starts_with("list_") {
        return "registry".to_string();
    }
    // The reports tag gathers unrelated reads (`get_application`,
    // `get_merchant_account`): each is a group of its own, named by what it
    // reads (`multicard application get`), as the other groups are.
    if tag == "reports"
        && let Some(object) = operation_id.strip_prefix("get_")
    {
        return object.to_kebab_case();
    }
    tag.strip_suffix('s').unwrap_or(tag).to_string()
}

/// The verb of an operation in its group: the `operationId` without the
/// group's noun (or, in `registry`, without `list_`), in kebab case.
pub fn cli_verb(group: &str, operation_id: &str) -> String {
    if group == "registry"
        && let Some(rest) = operation_id.strip_prefix("list_")
    {
        return rest.to_kebab_case();
    }
    if operation_id.strip_prefix("get_") == Some(group.replace('-', "_").as_str()) {
        return "get".to_string();
    }
    let words: Vec<&str> = operation_id.split('_').filter(|w| *w != group).collect();
    if words.is_empty() { operation_id.to_kebab_case() } else { words.join("-") }
}
