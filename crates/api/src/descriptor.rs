//! The parts of the API's own descriptor set that the generated types leave out: the options
//! on fields (`google.api.field_behavior`) and methods (`mediation.v1.access`, defined in
//! `proto/mediation/v1/access.proto`). `prost-types`
//! drops extensions when it decodes a descriptor, so these few mirrors of `descriptor.proto`
//! keep just the fields and extensions the gateway reads; everything else is skipped.

use prost::Message;

/// `google.protobuf.FileDescriptorSet`.
#[derive(Clone, PartialEq, Message)]
pub struct FileSet {
    #[prost(message, repeated, tag = "1")]
    pub file: Vec<File>,
}

/// `google.protobuf.FileDescriptorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct File {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub package: String,
    #[prost(message, repeated, tag = "4")]
    pub message_type: Vec<MessageType>,
    #[prost(message, repeated, tag = "6")]
    pub service: Vec<Service>,
}

/// `google.protobuf.DescriptorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct MessageType {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub field: Vec<Field>,
    #[prost(message, repeated, tag = "3")]
    pub nested_type: Vec<MessageType>,
}

/// `google.protobuf.FieldDescriptorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct Field {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(int32, tag = "3")]
    pub number: i32,
    /// 1 optional, 2 required (proto2), 3 repeated.
    #[prost(int32, tag = "4")]
    pub label: i32,
    /// `FieldDescriptorProto.Type`: 11 is a message, 10 a group.
    #[prost(int32, tag = "5")]
    pub r#type: i32,
    /// The message or enum type, fully qualified with a leading dot.
    #[prost(string, tag = "6")]
    pub type_name: String,
    #[prost(message, optional, tag = "8")]
    pub options: Option<FieldOptions>,
    /// Set for a proto3 `optional` field, which has presence.
    #[prost(bool, tag = "17")]
    pub proto3_optional: bool,
}

/// `google.protobuf.FieldOptions`, with the `google.api.field_behavior` extension (1052).
#[derive(Clone, PartialEq, Message)]
pub struct FieldOptions {
    #[prost(int32, repeated, tag = "1052")]
    pub field_behavior: Vec<i32>,
}

/// `google.api.FieldBehavior` values this server acts on.
pub mod behavior {
    pub const REQUIRED: i32 = 2;
    pub const OUTPUT_ONLY: i32 = 3;
    pub const IMMUTABLE: i32 = 5;
}

/// `LABEL_REPEATED`.
pub const LABEL_REPEATED: i32 = 3;
/// `TYPE_MESSAGE`.
pub const TYPE_MESSAGE: i32 = 11;

/// `google.protobuf.ServiceDescriptorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct Service {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub method: Vec<Method>,
}

/// `google.protobuf.MethodDescriptorProto`.
#[derive(Clone, PartialEq, Message)]
pub struct Method {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub input_type: String,
    #[prost(string, tag = "3")]
    pub output_type: String,
    #[prost(message, optional, tag = "4")]
    pub options: Option<MethodOptions>,
    #[prost(bool, tag = "5")]
    pub client_streaming: bool,
    #[prost(bool, tag = "6")]
    pub server_streaming: bool,
}

/// `google.protobuf.MethodOptions`, with the `mediation.v1.access` extension (50320).
#[derive(Clone, PartialEq, Message)]
pub struct MethodOptions {
    #[prost(message, optional, tag = "50320")]
    pub access: Option<crate::mediation::v1::MethodAccess>,
}

impl Method {
    /// Who may call the method, as its `(mediation.v1.access)` option publishes it.
    pub fn access(&self) -> Option<&crate::mediation::v1::MethodAccess> {
        self.options.as_ref()?.access.as_ref()
    }
}

/// The API's descriptor set as these mirrors read it.
pub fn file_set() -> FileSet {
    FileSet::decode(crate::FILE_DESCRIPTOR_SET).expect("the descriptor set built with this crate decodes")
}

/// Every method of the `mediation.*` services, as its gRPC path with its descriptor.
pub fn methods(set: &FileSet) -> impl Iterator<Item = (String, &Method)> {
    set.file.iter().filter(|file| file.package.starts_with("mediation.")).flat_map(|file| {
        file.service.iter().flat_map(move |service| {
            service
                .method
                .iter()
                .map(move |method| (format!("/{}.{}/{}", file.package, service.name, method.name), method))
        })
    })
}
