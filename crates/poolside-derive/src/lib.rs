//! `#[derive(Reset)]` for poolside-core. Use it through `poolside::Reset` or
//! `poolside_core::Reset`: the impl names the trait through whichever of the two crates
//! the deriving crate depends on (poolside-core if both), or through the path that
//! `#[reset(crate = path)]` gives.
//!
//! The derive resets a struct field by field, each with the fully qualified
//! `<FieldType as poolside_core::Reset>::reset(&mut self.field)`, so that a user-side item
//! named `Reset` never gets in the way and a field type without `Reset` is reported at
//! that type. A field whose type mentions one of the struct's type parameters gets a
//! `FieldType: Reset` bound on the impl; every other field type is checked where the
//! impl is written, so a concrete private type never shows up in its bounds (a generic
//! one, such as `Private<T>`, still does, and rustc's `private_bounds` lint may say so).
#![forbid(unsafe_code)]

use proc_macro::TokenStream;
use proc_macro2::{TokenStream as TokenStream2, TokenTree};
use quote::{quote, ToTokens};
use syn::parse::ParseStream;
use syn::{
    meta::ParseNestedMeta, parse_quote, Data, DeriveInput, Error, ExprPath, Ident, LitStr, Member,
    Path, Token,
};

/// Derives `poolside_core::Reset`; documented at its re-export in poolside-core.
#[proc_macro_derive(Reset, attributes(reset))]
pub fn derive_reset(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

/// What the derive does with one field.
enum Mode {
    /// `<FieldType as poolside_core::Reset>::reset(&mut self.field)`.
    Reset,
    /// Nothing: `#[reset(skip)]`.
    Skip,
    /// `path(&mut self.field)`: `#[reset(with = path)]`.
    With(ExprPath),
}

/// Errors collected while reading the attributes, reported together.
#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        Data::Enum(data) => {
            return Err(Error::new(
                data.enum_token.span,
                "#[derive(Reset)] supports structs only; for an enum, implement `Reset` by hand \
                 and choose which variant is its clean state",
            ));
        }
        Data::Union(data) => {
            return Err(Error::new(
                data.union_token.span,
                "#[derive(Reset)] supports structs only; a union cannot tell which field holds \
                 its value, so implement `Reset` by hand",
            ));
        }
    };

    let mut errors = Errors::default();
    let krate = struct_attrs(input, &mut errors);
    let modes: Vec<Mode> = fields
        .iter()
        .map(|field| field_attrs(field, &mut errors))
        .collect();
    errors.finish()?;

    let type_params: Vec<&Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    let mut generics = input.generics.clone();
    let mut body = TokenStream2::new();
    for (index, (field, mode)) in fields.iter().zip(modes).enumerate() {
        let member = match &field.ident {
            Some(ident) => Member::Named(ident.clone()),
            None => Member::Unnamed(index.into()),
        };
        match mode {
            Mode::Skip => {}
            Mode::With(path) => {
                body.extend(quote! { #path(&mut self.#member); });
            }
            Mode::Reset => {
                let ty = &field.ty;
                if mentions_any(ty.to_token_stream(), &type_params) {
                    generics
                        .make_where_clause()
                        .predicates
                        .push(parse_quote!(#ty: #krate::Reset));
                }
                // Named through the field's own type tokens, so that a type without `Reset`
                // is reported at the type, not at the derive.
                body.extend(quote! {
                    <#ty as #krate::Reset>::reset(&mut self.#member);
                });
            }
        }
    }

    let name = &input.ident;
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Reset for #name #ty_generics #where_clause {
            #[inline]
            fn reset(&mut self) {
                #body
            }
        }
    })
}

/// Reads `#[reset(crate = path)]` off the struct; returns the path to poolside_core.
fn struct_attrs(input: &DeriveInput, errors: &mut Errors) -> Path {
    let mut krate: Option<Path> = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("reset")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let path = path_value(
                    &meta,
                    "crate = path::to::poolside_core",
                    Path::parse_mod_style,
                )?;
                if krate.is_some() {
                    errors.push(Error::new_spanned(
                        &meta.path,
                        "duplicate `crate` attribute",
                    ));
                } else {
                    krate = Some(path);
                }
                Ok(())
            } else if meta.path.is_ident("skip") || meta.path.is_ident("with") {
                errors.push(Error::new_spanned(
                    &meta.path,
                    format!(
                        "`{}` goes on a field, not on the struct; \
                         the struct takes only `crate = path`",
                        path_name(&meta.path),
                    ),
                ));
                skip_value(meta.input)
            } else {
                errors.push(Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown reset attribute `{}`; the struct takes only `crate = path`",
                        path_name(&meta.path),
                    ),
                ));
                skip_value(meta.input)
            }
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    krate.unwrap_or_else(default_crate)
}

/// The path to the crate that defines `Reset` when the struct names none, from the
/// deriving crate's manifest as Cargo gives it: the name the crate's normal dependencies
/// (`[dependencies]`, `[target.<cfg>.dependencies]`) give poolside-core, else the name
/// they give the `poolside` facade (renames followed), else `::poolside_core`, which is
/// also the answer when the manifest cannot be read. `#[reset(crate = path)]` overrides
/// it.
fn default_crate() -> Path {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|dir| std::path::PathBuf::from(dir).join("Cargo.toml"))
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    let own = std::env::var("CARGO_PKG_NAME").unwrap_or_default();
    let name = crate_name(&manifest, &own);
    let ident = Ident::new(&name, proc_macro2::Span::call_site());
    parse_quote!(::#ident)
}

/// The name, as code spells it, under which a crate of package `own` with this manifest
/// reaches `Reset` (see [`default_crate`]).
fn crate_name(manifest: &str, own: &str) -> String {
    if own == "poolside-core" {
        return "poolside_core".into();
    }
    let deps = dependencies(manifest);
    let named = |package: &str| {
        deps.iter()
            .find(|(p, _)| p == package)
            .map(|(_, name)| name.replace('-', "_"))
    };
    named("poolside-core")
        .or_else(|| named("poolside"))
        .unwrap_or_else(|| "poolside_core".into())
}

/// A manifest's normal dependencies, as (package, the name the crate uses): the keys of
/// `[dependencies]` and `[target.<cfg>.dependencies]`, and the tables
/// `[dependencies.<name>]`, with a `package = "..."` rename followed. Dev and build
/// dependencies, workspace and patch tables are not the crate's own code's.
fn dependencies(manifest: &str) -> Vec<(String, String)> {
    enum Table {
        /// A table of dependencies, one per key.
        Dependencies,
        /// One dependency's own table: the index of its entry.
        One(usize),
        Other,
    }
    let mut deps: Vec<(String, String)> = Vec::new();
    let mut table = Table::Other;
    for line in manifest.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_start_matches('[').trim_end_matches(']');
            let keys = key_parts(header);
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            table = match keys.as_slice() {
                ["dependencies"] | ["target", _, "dependencies"] => Table::Dependencies,
                ["dependencies", name] | ["target", _, "dependencies", name] => {
                    deps.push(((*name).to_owned(), (*name).to_owned()));
                    Table::One(deps.len() - 1)
                }
                _ => Table::Other,
            };
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key_parts(key.trim());
        match table {
            Table::Dependencies => {
                let Some(name) = key.first() else { continue };
                // `name.package = "..."`, a dotted key of an entry already seen or not.
                let dotted = key.get(1).map(String::as_str) == Some("package");
                let package = if dotted {
                    unquote(value.trim())
                } else {
                    package_in(value).unwrap_or_else(|| name.clone())
                };
                match deps.iter_mut().find(|(_, n)| n == name) {
                    Some(entry) if dotted => entry.0 = package,
                    Some(_) => {}
                    None => deps.push((package, name.clone())),
                }
            }
            Table::One(index) => {
                if key.first().map(String::as_str) == Some("package") {
                    deps[index].0 = unquote(value.trim());
                }
            }
            Table::Other => {}
        }
    }
    deps
}

/// The dotted parts of a TOML key, unquoted: `target.'cfg(unix)'.dependencies`.
fn key_parts(key: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quote = None;
    for c in key.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => part.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, '.') => parts.push(std::mem::take(&mut part).trim().to_owned()),
            (None, c) => part.push(c),
        }
    }
    parts.push(part.trim().to_owned());
    parts
}

/// A quoted TOML string's contents (or the value as it is, trimmed).
fn unquote(value: &str) -> String {
    let value = value.split('#').next().unwrap_or("").trim();
    value.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

/// The `package = "..."` of an inline table, if it has one.
fn package_in(value: &str) -> Option<String> {
    let (_, rest) = value.split_once("package")?;
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let rest = &rest[1..];
    Some(rest[..rest.find(quote)?].to_owned())
}

/// Reads `#[reset(skip)]` and `#[reset(with = path)]` off a field.
fn field_attrs(field: &syn::Field, errors: &mut Errors) -> Mode {
    let mut skip = false;
    let mut with: Option<ExprPath> = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("reset")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("skip") {
                if !(meta.input.is_empty() || meta.input.peek(Token![,])) {
                    errors.push(Error::new_spanned(
                        &meta.path,
                        "`skip` takes no value: write `#[reset(skip)]`",
                    ));
                    return skip_value(meta.input);
                }
                if skip {
                    errors.push(Error::new_spanned(&meta.path, "duplicate `skip` attribute"));
                } else if with.is_some() {
                    errors.push(conflict(&meta.path));
                } else {
                    skip = true;
                }
                Ok(())
            } else if meta.path.is_ident("with") {
                let path = path_value(&meta, "with = path::to::function", |input| {
                    let path: ExprPath = input.parse()?;
                    match path.attrs.first() {
                        Some(attr) => Err(Error::new_spanned(attr, "expected a path")),
                        None => Ok(path),
                    }
                })?;
                if with.is_some() {
                    errors.push(Error::new_spanned(&meta.path, "duplicate `with` attribute"));
                } else if skip {
                    errors.push(conflict(&meta.path));
                } else {
                    with = Some(path);
                }
                Ok(())
            } else if meta.path.is_ident("crate") {
                errors.push(Error::new_spanned(
                    &meta.path,
                    "`crate` goes on the struct, not on a field: \
                     `#[reset(crate = path)]` above the struct",
                ));
                skip_value(meta.input)
            } else {
                errors.push(Error::new_spanned(
                    &meta.path,
                    format!(
                        "unknown reset attribute `{}`; a field takes `skip` or `with = path`",
                        path_name(&meta.path),
                    ),
                ));
                skip_value(meta.input)
            }
        });
        if let Err(error) = parsed {
            errors.push(error);
        }
    }
    match (skip, with) {
        (_, Some(path)) => Mode::With(path),
        (true, None) => Mode::Skip,
        (false, None) => Mode::Reset,
    }
}

fn conflict(second: &Path) -> Error {
    Error::new_spanned(
        second,
        "`skip` and `with` cannot be combined: `skip` leaves the field as it is, \
         `with` resets it with a function",
    )
}

/// Parses the `= path` after `meta.path`, with `parse`, up to the next `,`.
fn path_value<T>(
    meta: &ParseNestedMeta<'_>,
    example: &str,
    parse: fn(ParseStream<'_>) -> syn::Result<T>,
) -> syn::Result<T> {
    let expected = format!("expected a path, as in `{example}`");
    if !meta.input.peek(Token![=]) {
        return Err(Error::new_spanned(&meta.path, expected));
    }
    let value = meta.value()?;
    if value.peek(LitStr) {
        let lit: LitStr = value.parse()?;
        return Err(Error::new(
            lit.span(),
            format!("expected a path, found a string: write `{example}` without quotes"),
        ));
    }
    let parsed = parse(value).map_err(|error| Error::new(error.span(), &expected))?;
    if value.peek(syn::token::Paren) {
        return Err(value.error(format!(
            "expected a path, not a call: write `{example}`; the derive calls it on the field"
        )));
    }
    if !(value.is_empty() || value.peek(Token![,])) {
        return Err(value.error(expected));
    }
    Ok(parsed)
}

/// Steps over whatever value follows an attribute key, up to the next `,`, so that the
/// keys after it are still read (and their errors reported too).
fn skip_value(input: ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if matches!(&token, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// `a::b` for an attribute key, for error messages.
fn path_name(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    let name = segments.join("::");
    if path.leading_colon.is_some() {
        format!("::{name}")
    } else {
        name
    }
}

/// Whether `tokens` (a field type) use one of `params`: an identifier that is one of
/// them, not after `::` (a path's later segment) nor after `'` (a lifetime).
fn mentions_any(tokens: TokenStream2, params: &[&Ident]) -> bool {
    if params.is_empty() {
        return false;
    }
    let mut after_colon_or_quote = false;
    for token in tokens {
        match token {
            TokenTree::Ident(ident) => {
                if !after_colon_or_quote && params.iter().any(|p| **p == ident) {
                    return true;
                }
                after_colon_or_quote = false;
            }
            TokenTree::Punct(punct) => {
                after_colon_or_quote = matches!(punct.as_char(), ':' | '\'');
            }
            TokenTree::Group(group) => {
                if mentions_any(group.stream(), params) {
                    return true;
                }
                after_colon_or_quote = false;
            }
            TokenTree::Literal(_) => after_colon_or_quote = false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::crate_name;

    #[test]
    fn the_trait_is_named_through_the_crate_the_manifest_depends_on() {
        let pick = |manifest: &str| crate_name(manifest, "user");
        assert_eq!(pick("[dependencies]\npoolside = \"0.1\"\n"), "poolside");
        assert_eq!(
            pick("[dependencies]\npoolside-core = \"0.1\"\n"),
            "poolside_core"
        );
        assert_eq!(
            pick("[dependencies]\npoolside = \"0.1\"\npoolside-core = \"0.1\"\n"),
            "poolside_core",
            "poolside-core, when there is both"
        );
        assert_eq!(
            pick("[dependencies]\npoolside.workspace = true\n"),
            "poolside"
        );
        assert_eq!(
            pick("[dependencies.poolside]\nversion = \"0.1\"\n"),
            "poolside"
        );
        assert_eq!(pick("[dependencies]\n\"poolside\" = \"0.1\"\n"), "poolside");
        assert_eq!(
            pick("[target.'cfg(unix)'.dependencies]\npoolside = \"0.1\"\n"),
            "poolside"
        );
        assert_eq!(
            pick("[dependencies]\npool = { package = \"poolside\", version = \"0.1\" }\n"),
            "pool",
            "a rename"
        );
        assert_eq!(
            pick("[dependencies.pool]\npackage = \"poolside\"\nversion = \"0.1\"\n"),
            "pool"
        );
        // Only normal dependencies count: the facade in `[dependencies]` wins over
        // poolside-core in dev-dependencies, a workspace table or a patch.
        let facade = "[dependencies]\npoolside = \"0.1\"\n";
        for other in [
            "[dev-dependencies]\npoolside-core = \"0.1\"\n",
            "[workspace.dependencies]\npoolside-core = \"0.1\"\n",
            "[patch.crates-io]\npoolside-core = { git = \"x\" }\n",
            "[build-dependencies]\npoolside-core = \"0.1\"\n",
        ] {
            assert_eq!(pick(&format!("{facade}{other}")), "poolside", "{other}");
        }
        // Neither, or no manifest: poolside-core's own name.
        assert_eq!(pick("[package]\nname = \"user\"\n"), "poolside_core");
        assert_eq!(pick(""), "poolside_core");
        assert_eq!(
            crate_name("[dependencies]\npoolside = \"0.1\"\n", "poolside-core"),
            "poolside_core"
        );
    }
}
