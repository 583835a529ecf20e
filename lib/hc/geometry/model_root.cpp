#include "hc/geometry/model_root.h"

#include <ATen/ATen.h>

#include "hc/model/clip_model.h"
#include "hc/text/clip_tokenizer.h"

namespace hc {

at::Tensor empty_text_embedding(const ClipModelImpl& model, const ClipTokenizer& tokenizer) {
  const at::Tensor ids =
      at::tensor({static_cast<int64_t>(tokenizer.bos_id()), static_cast<int64_t>(tokenizer.eos_id())},
                 at::kLong)
          .unsqueeze(0)
          .to(model.device());
  return model.encode_text(ids).text_embeds.squeeze(0);
}

}  // namespace hc
