#include "config.h"

namespace gofer::object_store {

config::Schema Config::MakeSchema() {
  config::Schema schema(kInfo.name);
  app::AddCommonKeys(schema, &common, "127.0.0.1:7004");
  app::AddPostgresKeys(schema, &postgres, "objects");
  constexpr int64_t kMax = int64_t{1} << 40;
  schema
      .String("storage.root", &storage_root,
              {.description = "Absolute path of the directory holding the blobs (a volume shared "
                              "by every replica).",
               .required = true})
      .Int("limits.pipeline_object_bytes", &limits.max_pipeline_object_bytes,
           {.description = "Largest pipeline object, in bytes.",
            .default_value = "1073741824",
            .min = 1,
            .max = kMax})
      .Int("limits.run_object_bytes", &limits.max_run_object_bytes,
           {.description = "Largest run object, in bytes.",
            .default_value = "1073741824",
            .min = 1,
            .max = kMax})
      .Int("limits.extension_object_bytes", &limits.max_extension_object_bytes,
           {.description = "Largest extension object, in bytes.",
            .default_value = "1073741824",
            .min = 1,
            .max = kMax})
      .Int("limits.task_log_object_bytes", &limits.max_task_log_object_bytes,
           {.description = "Largest task-log chunk object, in bytes.",
            .default_value = "67108864",
            .min = 1,
            .max = kMax})
      .Int("limits.pipeline_objects", &limits.pipeline_objects,
           {.description = "Objects kept per pipeline; storing one more evicts the oldest.",
            .default_value = "50",
            .min = 1,
            .max = 1000000})
      .Int("uploads.part_size", &limits.part_size,
           {.description = "Part size of multipart uploads, in bytes.",
            .default_value = "16777216",
            .min = 1024,
            .max = int64_t{1} << 32})
      .Duration("uploads.ttl", &limits.upload_ttl,
                {.description = "How long an unfinished multipart upload is kept.",
                 .default_value = "24h",
                 .min = absl::Minutes(1)})
      .Duration("gc.interval", &gc_interval,
                {.description = "How often unreferenced blobs and expired uploads are collected.",
                 .default_value = "1m",
                 .min = absl::Seconds(1)})
      .Duration("gc.grace", &limits.gc_grace,
                {.description = "How long an unreferenced blob stays before it is deleted.",
                 .default_value = "10m"});
  return schema;
}

}  // namespace gofer::object_store
