//! Finding things in the generated `types` module, for the passes over
//! progenitor's output that change its structs.

use syn::{Fields, Item, ItemStruct};

/// The items of the generated `types` module; an error naming it when the
/// generated code has none (a generator upgrade that moves the types must
/// not make a pass silently do nothing).
pub(crate) fn items(file: &mut syn::File) -> Result<&mut Vec<Item>, String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "types" => m.content.as_mut().map(|(_, items)| items),
            _ => None,
        })
        .ok_or_else(|| "the generated code has no `types` module".to_string())
}

/// The struct named `name` among `items`.
pub(crate) fn find_struct<'a>(items: &'a mut [Item], name: &str) -> Option<&'a mut ItemStruct> {
    items.iter_mut().find_map(|item| match item {
        Item::Struct(s) if s.ident == name => Some(s),
        _ => None,
    })
}

/// The field of `strukt` that the spec's property `field` became (`type`
/// becomes `type_`).
pub(crate) fn field_of<'a>(strukt: &'a mut ItemStruct, field: &str) -> Option<&'a mut syn::Field> {
    let Fields::Named(fields) = &mut strukt.fields else { return None };
    fields.named.iter_mut().find(|f| f.ident.as_ref().is_some_and(|i| i == field || *i == format!("{field}_")))
}
