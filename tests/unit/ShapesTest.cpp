//===- ShapesTest.cpp - shape helpers ---------------------------*- C++ -*-===//

#include "dialect/Shapes.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::ndr;

TEST(Shapes, BroadcastsTrailingDimensions) {
  EXPECT_EQ(broadcastShapes({8, 768}, {768}), (SmallVector<int64_t>{8, 768}));
  EXPECT_EQ(broadcastShapes({768}, {8, 768}), (SmallVector<int64_t>{8, 768}));
  EXPECT_EQ(broadcastShapes({4, 1, 3}, {5, 1}),
            (SmallVector<int64_t>{4, 5, 3}));
  EXPECT_EQ(broadcastShapes({}, {2, 3}), (SmallVector<int64_t>{2, 3}));
}

TEST(Shapes, RejectsIncompatibleSizes) {
  EXPECT_FALSE(broadcastShapes({8, 768}, {512}).has_value());
  EXPECT_FALSE(broadcastShapes({2, 3}, {3, 3}).has_value());
}

TEST(Shapes, TrailingSuffix) {
  EXPECT_TRUE(isTrailingSuffix({8, 128, 768}, {768}));
  EXPECT_TRUE(isTrailingSuffix({8, 128, 768}, {128, 768}));
  EXPECT_TRUE(isTrailingSuffix({8, 768}, {}));
  EXPECT_FALSE(isTrailingSuffix({8, 768}, {8}));
  EXPECT_FALSE(isTrailingSuffix({768}, {8, 768}));
}

TEST(Shapes, Format) {
  EXPECT_EQ(formatShape({8, 768}), "[8, 768]");
  EXPECT_EQ(formatShape({}), "[]");
}
