#!/usr/bin/python3
"""Writes the ONNX fixtures of test/onnx: small nets in the shapes of ResNet-18, MobileNetV2 and a VGG-style net, plus
one net that exercises the rest of the operators importOnnx supports. Random weights (seeded), random batch-norm
statistics, small widths so the files stay small; inputs are [N, 3, 32, 32] with a dynamic batch.

Run with Debian's torch (python3-torch, python3-torchvision, python3-onnx):
    /usr/bin/python3 scripts/make-onnx-fixtures.py
The files are committed (CI does not run Python); the tests compare Simmer's import with onnxruntime-node.
"""
import os

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "onnx")


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class ResNet18Small(nn.Module):
    """ResNet-18's layout (7x7 stem, max pool, 4 stages of 2 basic blocks, global pool, fc) at 1/8 of its width."""

    def __init__(self, widths=(8, 16, 32, 64), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, cin = [], widths[0]
        for i, w in enumerate(widths):
            layers.append(nn.Sequential(BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.fc = nn.Linear(widths[-1], classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def mobilenet_v2_small(classes=10):
    """torchvision's MobileNetV2 (ReLU6, depthwise convs, inverted residuals) at width 0.25 with fewer blocks."""
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 1, 1]]
    net = torchvision.models.MobileNetV2(num_classes=classes, width_mult=0.25, inverted_residual_setting=setting)
    # The 1280-channel last conv dominates the size; 128 keeps the layout and the file small.
    last = net.features[-1]
    cin = last[0].in_channels
    net.features[-1] = torchvision.ops.Conv2dNormActivation(cin, 128, kernel_size=1, activation_layer=nn.ReLU6)
    net.classifier[1] = nn.Linear(128, classes)
    return net


class VggSmall(nn.Module):
    """VGG's layout: blocks of 3x3 conv + BN + ReLU, max pool, then a two-layer classifier with dropout."""

    def __init__(self, classes=10):
        super().__init__()
        cfg = [16, 16, "M", 32, 32, "M", 64, 64, "M"]
        layers, cin = [], 3
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Linear(64 * 4 * 4, 64), nn.ReLU(inplace=True), nn.Dropout(0.5), nn.Linear(64, classes))

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class OpsNet(nn.Module):
    """Every other supported operator once: transposed conv, pads, resizes, splits, slices, attention-like matmuls."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.q = nn.Linear(8, 8)
        self.head = nn.Linear(8 * 2, 5)

    def forward(self, x):
        h = F.leaky_relu(self.conv(x), 0.1)  # [N, 8, 16, 16]
        h = torch.tanh(self.up(h)) + torch.sigmoid(F.interpolate(h, scale_factor=2, mode="nearest"))  # [N, 8, 32, 32]
        h = F.hardswish(self.dw(h)) - F.hardsigmoid(h) / 2
        h = F.avg_pool2d(h, 3, stride=2, padding=1, count_include_pad=False) + F.avg_pool2d(F.pad(h, (1, 0, 1, 0)), 2)  # [N, 8, 16, 16]
        h = F.interpolate(h, scale_factor=0.5, mode="bilinear", align_corners=False)  # [N, 8, 8, 8]
        h = F.interpolate(h, size=(16, 16), mode="bilinear", align_corners=True)  # [N, 8, 16, 16]
        a, b = torch.split(h, 4, dim=1)
        h = torch.cat([F.gelu(a), F.pad(b[:, :, 1:15:2, ::2], (0, 8, 4, 5), value=0.25)], 1)
        t = h.flatten(2).transpose(1, 2)  # [N, 256, 8]
        att = torch.softmax(self.q(t) @ t.transpose(1, 2) / 8.0, dim=-1)  # [N, 256, 256]
        t = att @ t  # [N, 256, 8]
        pooled = torch.cat([t.mean(1), F.adaptive_max_pool2d(h, 1).squeeze(-1).squeeze(-1)], 1)
        return self.head(torch.clamp(pooled.unsqueeze(1), -3, 3).view(x.size(0), -1))


def randomize(net, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
    return net.eval()


def export(net, name):
    path = os.path.join(OUT, name + ".onnx")
    torch.onnx.export(
        net,
        torch.randn(2, 3, 32, 32),
        path,
        opset_version=17,
        input_names=["input"],
        output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        # Keep BatchNormalization nodes (eval mode would fold them into the convs), so the import can fine-tune them.
        training=torch.onnx.TrainingMode.PRESERVE,
        do_constant_folding=True,
    )
    model = onnx.load(path)
    onnx.checker.check_model(model)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name}: {os.path.getsize(path)} bytes, {len(model.graph.node)} nodes, ops {', '.join(ops)}")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    export(randomize(ResNet18Small(), 1), "resnet18-small")
    torch.manual_seed(1)
    export(randomize(mobilenet_v2_small(), 2), "mobilenetv2-small")
    torch.manual_seed(2)
    export(randomize(VggSmall(), 3), "vgg-small")
    torch.manual_seed(3)
    export(randomize(OpsNet(), 4), "ops-mix")
