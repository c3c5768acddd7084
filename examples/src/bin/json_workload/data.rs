//! Typed views of the three documents. Each type names the fields a service would use;
//! serde skips the rest when parsing, and a round trip through JSON must give back an
//! equal value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `twitter.json`: a search API response.
#[derive(Debug, Deserialize)]
pub(crate) struct Twitter {
    pub(crate) statuses: Vec<Tweet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Tweet {
    pub(crate) created_at: String,
    pub(crate) id: u64,
    pub(crate) id_str: String,
    pub(crate) text: String,
    pub(crate) source: String,
    pub(crate) truncated: bool,
    pub(crate) in_reply_to_status_id: Option<u64>,
    pub(crate) in_reply_to_user_id: Option<u64>,
    pub(crate) in_reply_to_screen_name: Option<String>,
    pub(crate) user: User,
    pub(crate) retweet_count: u32,
    pub(crate) favorite_count: u32,
    pub(crate) entities: Entities,
    pub(crate) favorited: bool,
    pub(crate) retweeted: bool,
    pub(crate) lang: String,
    pub(crate) metadata: Metadata,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct User {
    pub(crate) id: u64,
    pub(crate) id_str: String,
    pub(crate) name: String,
    pub(crate) screen_name: String,
    pub(crate) location: String,
    pub(crate) description: String,
    pub(crate) url: Option<String>,
    pub(crate) protected: bool,
    pub(crate) followers_count: u32,
    pub(crate) friends_count: u32,
    pub(crate) listed_count: u32,
    pub(crate) created_at: String,
    pub(crate) favourites_count: u32,
    pub(crate) utc_offset: Option<i32>,
    pub(crate) time_zone: Option<String>,
    pub(crate) geo_enabled: bool,
    pub(crate) verified: bool,
    pub(crate) statuses_count: u32,
    pub(crate) lang: String,
    pub(crate) profile_image_url_https: String,
    pub(crate) profile_background_color: String,
    pub(crate) default_profile: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Entities {
    pub(crate) hashtags: Vec<Hashtag>,
    pub(crate) urls: Vec<Url>,
    pub(crate) user_mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Hashtag {
    pub(crate) text: String,
    pub(crate) indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Url {
    pub(crate) url: String,
    pub(crate) expanded_url: String,
    pub(crate) display_url: String,
    pub(crate) indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Mention {
    pub(crate) screen_name: String,
    pub(crate) name: String,
    pub(crate) id: u64,
    pub(crate) indices: [u32; 2],
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Metadata {
    pub(crate) result_type: String,
    pub(crate) iso_language_code: String,
}

/// `citm_catalog.json`: a ticketing catalog.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Catalog {
    pub(crate) events: BTreeMap<String, Event>,
    pub(crate) performances: Vec<Performance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Event {
    pub(crate) description: Option<String>,
    pub(crate) id: u64,
    pub(crate) logo: Option<String>,
    pub(crate) name: String,
    pub(crate) sub_topic_ids: Vec<u64>,
    pub(crate) subject_code: Option<String>,
    pub(crate) subtitle: Option<String>,
    pub(crate) topic_ids: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Performance {
    pub(crate) event_id: u64,
    pub(crate) id: u64,
    pub(crate) logo: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) prices: Vec<Price>,
    pub(crate) seat_categories: Vec<SeatCategory>,
    pub(crate) seat_map_image: Option<String>,
    pub(crate) start: u64,
    pub(crate) venue_code: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Price {
    pub(crate) amount: u64,
    pub(crate) audience_sub_category_id: u64,
    pub(crate) seat_category_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeatCategory {
    pub(crate) areas: Vec<Area>,
    pub(crate) seat_category_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Area {
    pub(crate) area_id: u64,
    pub(crate) block_ids: Vec<u64>,
}

/// `canada.json`: a GeoJSON feature collection with one polygon of 480 rings.
#[derive(Debug, Deserialize)]
pub(crate) struct Canada {
    pub(crate) features: Vec<Feature>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Feature {
    pub(crate) geometry: Geometry,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Geometry {
    pub(crate) coordinates: Vec<Ring>,
}

/// One ring of the polygon: its points, longitude then latitude.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Ring(pub Vec<[f64; 2]>);

/// Every record, parsed once.
pub(crate) struct Corpus {
    pub(crate) tweets: Vec<Tweet>,
    pub(crate) events: Vec<Event>,
    pub(crate) performances: Vec<Performance>,
    pub(crate) rings: Vec<Ring>,
}

impl Corpus {
    /// Parses the three documents in `dir`.
    pub(crate) fn load(dir: &std::path::Path) -> Result<Corpus, String> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
        };
        let parse_err = |name: &'static str| move |e: serde_json::Error| format!("{name}: {e}");
        let twitter: Twitter =
            serde_json::from_slice(&read("twitter.json")?).map_err(parse_err("twitter.json"))?;
        let catalog: Catalog = serde_json::from_slice(&read("citm_catalog.json")?)
            .map_err(parse_err("citm_catalog.json"))?;
        let canada: Canada =
            serde_json::from_slice(&read("canada.json")?).map_err(parse_err("canada.json"))?;
        Ok(Corpus {
            tweets: twitter.statuses,
            events: catalog.events.into_values().collect(),
            performances: catalog.performances,
            rings: canada
                .features
                .into_iter()
                .flat_map(|f| f.geometry.coordinates)
                .collect(),
        })
    }

    /// The number of records.
    pub(crate) fn len(&self) -> usize {
        self.tweets.len() + self.events.len() + self.performances.len() + self.rings.len()
    }
}
