// hc embed: texts and images -> CLIP embeddings (the work is hc::run_embed).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands.h"
#include "hc/core/cli.h"
#include "hc/embed/embed_command.h"

namespace hc::commands {
namespace {

struct EmbedCommand {
  CommonOptions common;
  EmbedCommandOptions embed;
  bool raw = false;
  bool no_cache = false;
};

void run(EmbedCommand& command) {
  apply_common_options(command.common);
  EmbedCommandOptions& embed = command.embed;
  embed.output = command.common.output;
  embed.device = command.common.device;
  embed.dtype = command.common.dtype;
  embed.threads = command.common.threads;
  embed.embed.normalise = !command.raw;
  embed.embed.use_cache = !command.no_cache;
  run_embed(embed);
}

}  // namespace

void add_embed(CLI::App& app) {
  auto command = std::make_shared<EmbedCommand>();
  EmbedCommandOptions& embed = command->embed;
  CLI::App* sub = app.add_subcommand(
      "embed",
      "Embed texts and images with a CLIP model: writes text_embeds and image_embeds F32 [N, P] "
      "(unit length unless --raw) in input order to --output, and OUT.json beside it with the "
      "model, the settings and the inputs in order. Embeddings are cached on disk "
      "($HC_CACHE_DIR/embeddings, else ${XDG_CACHE_HOME:-~/.cache}/hc/embeddings), so a re-run "
      "only computes new inputs.\n"
      "Texts: a file of lines, FILE.jsonl (\"text\" field) or FILE.csv:COLUMN. Images: a "
      "folder, a list file (one path per line, relative to the list) or FILE.csv:COLUMN.\n"
      "Example: hc embed --model openai/clip-vit-base-patch32 --texts captions.txt "
      "--images photos/ -o embeds.safetensors");
  sub->add_option("--model,-m", embed.model, "Model folder, weights file or cached hub id")
      ->required();
  sub->add_option("--arch", embed.architecture,
                  "Architecture of a bare OpenCLIP weights file (e.g. ViT-B-32)");
  sub->add_option("--vocab", embed.vocab, "Tokenizer files when the model folder has none");
  sub->add_option("--preprocess", embed.preprocess,
                  "preprocessor_config.json, a folder holding one, or a preset (clip_hf, "
                  "hgclip_legacy); default: the model's");
  sub->add_option("--texts", embed.texts, "Texts: FILE, FILE.jsonl or FILE.csv:COLUMN");
  sub->add_option("--images", embed.images, "Images: FOLDER, LIST_FILE or FILE.csv:COLUMN");
  sub->add_flag("--raw", command->raw, "Keep the projected embeddings as they are (no unit norm)");
  sub->add_option("--batch-size", embed.embed.batch_size, "Texts or images per forward pass")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--no-cache", command->no_cache, "Neither read nor write the embedding cache");
  add_common_options(*sub, command->common, false);
  sub->callback([command] { run(*command); });
}

}  // namespace hc::commands
